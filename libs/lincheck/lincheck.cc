#include "libs/lincheck/lincheck.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace dcos::lincheck {
namespace {

// The call and return events of one key's operations in time order, as a doubly linked list
// from which the search lifts operations (Wing & Gong) and puts them back on backtracking.
struct Event {
  size_t op = 0;        // index into the key's operations
  bool is_call = false;
  absl::Time time;
  int prev = -1, next = -1;
  int match = -1;       // the call's return event, or the return's call event
};

struct Bitset {
  std::vector<uint64_t> words;
  explicit Bitset(size_t n) : words((n + 63) / 64, 0) {}
  void Set(size_t i) { words[i / 64] |= uint64_t{1} << (i % 64); }
  void Clear(size_t i) { words[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  bool operator==(const Bitset& o) const { return words == o.words; }
};

struct CacheKey {
  Bitset linearized;
  std::string state;
  bool operator==(const CacheKey& o) const { return state == o.state && linearized == o.linearized; }
};

struct CacheHash {
  size_t operator()(const CacheKey& k) const {
    size_t h = std::hash<std::string>()(k.state);
    for (uint64_t w : k.linearized.words) h = h * 1099511628211ull ^ std::hash<uint64_t>()(w);
    return h;
  }
};

// Searches one key's operations. Returns true if linearizable.
bool CheckKey(const std::vector<Operation>& ops, const Model& model, uint64_t max_states,
              uint64_t* explored, bool* gave_up, std::vector<size_t>* longest) {
  std::vector<Event> events;
  for (size_t i = 0; i < ops.size(); ++i) {
    Event c;
    c.op = i;
    c.is_call = true;
    c.time = ops[i].call;
    Event r;
    r.op = i;
    r.is_call = false;
    r.time = ops[i].ret;
    events.push_back(c);
    events.push_back(r);
  }
  // Calls before returns at equal times: operations that touch are concurrent.
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    return a.is_call && !b.is_call;
  });
  std::vector<int> call_of(ops.size(), -1), ret_of(ops.size(), -1);
  for (size_t i = 0; i < events.size(); ++i) {
    (events[i].is_call ? call_of : ret_of)[events[i].op] = static_cast<int>(i);
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    events[static_cast<size_t>(call_of[i])].match = ret_of[i];
    events[static_cast<size_t>(ret_of[i])].match = call_of[i];
  }
  // Linked list with a head sentinel at index n.
  int n = static_cast<int>(events.size());
  std::vector<int> prev(events.size() + 1), next(events.size() + 1);
  int head = n;
  next[static_cast<size_t>(head)] = n > 0 ? 0 : -1;
  for (int i = 0; i < n; ++i) {
    prev[static_cast<size_t>(i)] = i == 0 ? head : i - 1;
    next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  auto lift = [&](int e) {
    next[static_cast<size_t>(prev[static_cast<size_t>(e)])] = next[static_cast<size_t>(e)];
    if (next[static_cast<size_t>(e)] != -1) {
      prev[static_cast<size_t>(next[static_cast<size_t>(e)])] = prev[static_cast<size_t>(e)];
    }
  };
  auto unlift = [&](int e) {
    next[static_cast<size_t>(prev[static_cast<size_t>(e)])] = e;
    if (next[static_cast<size_t>(e)] != -1) {
      prev[static_cast<size_t>(next[static_cast<size_t>(e)])] = e;
    }
  };

  std::unordered_set<CacheKey, CacheHash> cache;
  Bitset linearized(ops.size());
  std::string state = model.initial;
  struct Frame {
    int call;
    std::string state_before;
  };
  std::vector<Frame> stack;
  std::vector<size_t> order;
  int entry = next[static_cast<size_t>(head)];
  while (entry != -1) {
    if (++*explored > max_states) {
      *gave_up = true;
      return true;  // unknown: do not report a violation we did not prove
    }
    const Event& ev = events[static_cast<size_t>(entry)];
    if (ev.is_call) {
      const Operation& op = ops[ev.op];
      std::string next_state;
      bool ok = model.step(state, op, &next_state);
      bool fresh = false;
      if (ok) {
        linearized.Set(ev.op);
        fresh = cache.insert(CacheKey{linearized, next_state}).second;
        if (!fresh) linearized.Clear(ev.op);
      }
      if (ok && fresh) {
        stack.push_back(Frame{entry, state});
        order.push_back(ev.op);
        if (order.size() > longest->size()) *longest = order;
        state = std::move(next_state);
        lift(entry);
        lift(ev.match);
        entry = next[static_cast<size_t>(head)];
      } else {
        entry = next[static_cast<size_t>(entry)];
      }
    } else {
      // A return whose call is still pending: some earlier choice was wrong. Backtrack.
      // Operations with an unknown outcome never force this: their return is at +infinity.
      if (stack.empty()) return false;
      Frame f = std::move(stack.back());
      stack.pop_back();
      order.pop_back();
      state = std::move(f.state_before);
      const Event& call = events[static_cast<size_t>(f.call)];
      linearized.Clear(call.op);
      unlift(call.match);
      unlift(f.call);
      entry = next[static_cast<size_t>(f.call)];
    }
    // Every operation with a known outcome is linearized: the rest are unknown writes that
    // may simply never have happened.
    bool only_unknown_left = true;
    for (int e = next[static_cast<size_t>(head)]; e != -1; e = next[static_cast<size_t>(e)]) {
      if (events[static_cast<size_t>(e)].is_call && !ops[events[static_cast<size_t>(e)].op].unknown) {
        only_unknown_left = false;
        break;
      }
    }
    if (only_unknown_left) return true;
  }
  return true;
}

}  // namespace

Result Check(const std::vector<Operation>& history, const Model& model, uint64_t max_states) {
  std::map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < history.size(); ++i) by_key[history[i].key].push_back(i);
  Result result;
  for (const auto& [key, indexes] : by_key) {
    std::vector<Operation> ops;
    for (size_t i : indexes) ops.push_back(history[i]);
    std::vector<size_t> longest;
    bool gave_up = false;
    bool ok = CheckKey(ops, model, max_states, &result.states_explored, &gave_up, &longest);
    result.gave_up = result.gave_up || gave_up;
    if (!ok) {
      result.linearizable = false;
      result.key = key;
      for (size_t i : longest) result.longest_prefix.push_back(indexes[i]);
      return result;
    }
  }
  return result;
}

Model RegisterModel() {
  Model m;
  m.initial = "";
  m.step = [](const std::string& state, const Operation& op, std::string* next) {
    std::vector<std::string> words = absl::StrSplit(op.input, ' ');
    const std::string& verb = words[0];
    if (verb == "put" && words.size() == 2) {
      *next = words[1];
      return op.unknown || op.output == "ok";
    }
    if (verb == "get") {
      *next = state;
      return op.unknown || op.output == state;
    }
    if (verb == "delete") {
      *next = "";
      return op.unknown || op.output == "ok";
    }
    if (verb == "cas" && words.size() == 3) {
      bool matches = state == words[1];
      *next = matches ? words[2] : state;
      if (op.unknown) return true;
      return op.output == (matches ? "ok" : "fail");
    }
    return false;  // an input the model does not know
  };
  return m;
}

}  // namespace dcos::lincheck
