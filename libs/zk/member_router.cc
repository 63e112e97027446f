#include "libs/zk/member_router.h"

#include <algorithm>
#include <cassert>

namespace dcos::zk::client {

MemberRouter::MemberRouter(std::vector<std::string> addresses, size_t first) : current_(0) {
  assert(!addresses.empty() && first < addresses.size());
  std::string first_address = addresses[first];
  for (std::string& a : addresses) {
    if (std::find(addresses_.begin(), addresses_.end(), a) == addresses_.end()) {
      addresses_.push_back(std::move(a));
    }
  }
  current_ = *Find(first_address);
}

std::optional<size_t> MemberRouter::Find(const std::string& address) const {
  auto it = std::find(addresses_.begin(), addresses_.end(), address);
  if (it == addresses_.end()) return std::nullopt;
  return static_cast<size_t>(it - addresses_.begin());
}

std::optional<size_t> MemberRouter::OnRedirect(size_t from, const LeaderHint& hint) {
  if (!hint.known) {
    leader_.reset();
    if (current_ == from) current_ = (current_ + 1) % addresses_.size();
    return std::nullopt;
  }
  std::optional<size_t> index = Find(hint.address);
  if (!index) {
    addresses_.push_back(hint.address);
    index = addresses_.size() - 1;
  }
  leader_ = index;
  return index;
}

void MemberRouter::OnFailure(size_t i) {
  if (leader_ == i) leader_.reset();
  if (current_ == i) current_ = (current_ + 1) % addresses_.size();
}

}  // namespace dcos::zk::client
