#pragma once

// The pure part of the queue recipes (leader election, lock): names of ephemeral sequential
// nodes, their order, and who comes before whom.
//
// A contender's node is named <prefix><tag>-<10-digit sequence>, e.g.
// "n_3f9a0c21d4e5b6a7-0000000012": the server appends the sequence; the random tag lets a
// contender whose create had an unknown outcome (CONNECTION_LOSS) find its own node among its
// siblings, instead of making a second one (Curator's "protection").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dcos::zk::recipes {

// The sequence suffix of `name` (the 10 digits after the last '-'); nullopt if it has none.
std::optional<int64_t> SequenceOf(absl::string_view name);

// `prefix` + 16 hex digits of `tag` + "-": the name prefix to create a contender's node with.
std::string ContenderPrefix(absl::string_view prefix, uint64_t tag);

// The names among `children` that start with `prefix` and carry a sequence, ordered by
// sequence (lowest first; the name breaks ties).
std::vector<std::string> QueueOrder(const std::vector<std::string>& children,
                                    absl::string_view prefix);

// The name in `children` that starts with `contender_prefix` (a ContenderPrefix), if any.
std::optional<std::string> FindOwn(const std::vector<std::string>& children,
                                   absl::string_view contender_prefix);

// Where `own` stands in `ordered` (a QueueOrder).
struct Place {
  bool present = false;                // own is in the queue
  bool first = false;                  // own is first: it leads / holds the lock
  std::optional<std::string> predecessor;  // the name just before own (the one to watch)
};
Place PlaceOf(const std::vector<std::string>& ordered, absl::string_view own);

}  // namespace dcos::zk::recipes
