#include "domain/personalization/habit_profile.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace loyalty::core::personalization {
namespace {

using base::ErrorCode;
using base::makeError;

// Weights that decay below this (relative to the 1.0 a new purchase adds) no longer influence any
// ranking; dropping them keeps weights away from denormals on very long histories.
constexpr double kMinWeight = 1e-12;

// Serialised form, version 1 (all integers as unsigned LEB128 varints, doubles as the 8 bytes of
// their IEEE-754 representation, little-endian):
//   'H' 0x01 decayRate capacity basketCount itemCount
//   itemCount x { idDelta weight count basketCount-1-lastBasket lastBasket-firstBasket }
// idDelta is the zigzag-encoded first id, then the difference to the previous id (ids ascend).
constexpr char kMagic = 'H';
constexpr char kVersion = 1;

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void putDouble(std::string& out, double d) {
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) {
        return false;
      }
      const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
      if (shift == 63 && (byte & 0x7e) != 0) {
        return false;  // more than 64 bits
      }
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return true;
      }
    }
    return false;
  }

  // A varint that must fit in a non-negative int64_t.
  bool count(int64_t& v) {
    uint64_t u = 0;
    if (!varint(u) || u > static_cast<uint64_t>(INT64_MAX)) {
      return false;
    }
    v = static_cast<int64_t>(u);
    return true;
  }

  bool real(double& d) {
    if (bytes_.size() - pos_ < 8) {
      return false;
    }
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) {
      bits |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[pos_++])) << (8 * i);
    }
    std::memcpy(&d, &bits, sizeof d);
    return true;
  }

  bool byte(char& c) {
    if (pos_ >= bytes_.size()) {
      return false;
    }
    c = bytes_[pos_++];
    return true;
  }

  bool atEnd() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

base::Error invalid(const std::string& what) {
  return makeError(ErrorCode::kInvalidValue, "habit profile: " + what);
}

// Strongest first: higher weight, then seen more recently, then lower item id.
bool stronger(const ItemHabit& a, const ItemHabit& b) {
  if (a.weight != b.weight) {
    return a.weight > b.weight;
  }
  if (a.lastBasket != b.lastBasket) {
    return a.lastBasket > b.lastBasket;
  }
  return a.itemId < b.itemId;
}

}  // namespace

HabitProfile::HabitProfile(ProfileParams params) : params_(params) {}

void HabitProfile::update(const std::vector<int64_t>& basket) {
  std::vector<int64_t> ids = basket;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

  const int64_t index = basketCount_;
  std::vector<ItemHabit> merged;
  merged.reserve(items_.size() + ids.size());
  size_t a = 0;
  size_t b = 0;
  while (a < items_.size() || b < ids.size()) {
    if (b == ids.size() || (a < items_.size() && items_[a].itemId < ids[b])) {
      ItemHabit h = items_[a++];
      h.weight *= params_.decayRate;
      if (h.weight >= kMinWeight) {
        merged.push_back(h);
      }
    } else if (a == items_.size() || ids[b] < items_[a].itemId) {
      merged.push_back(ItemHabit{ids[b++], 1.0, 1, index, index});
    } else {
      ItemHabit h = items_[a++];
      ++b;
      h.weight = h.weight * params_.decayRate + 1.0;
      h.count += 1;
      h.lastBasket = index;
      merged.push_back(h);
    }
  }
  items_ = std::move(merged);
  basketCount_ = index + 1;
  evictWeakest();
}

void HabitProfile::evictWeakest() {
  if (items_.size() <= params_.capacity) {
    return;
  }
  const auto keep = static_cast<std::ptrdiff_t>(params_.capacity);
  std::nth_element(items_.begin(), items_.begin() + keep, items_.end(), stronger);
  items_.resize(params_.capacity);
  std::sort(items_.begin(), items_.end(),
            [](const ItemHabit& x, const ItemHabit& y) { return x.itemId < y.itemId; });
}

const ItemHabit* HabitProfile::find(int64_t itemId) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), itemId,
                             [](const ItemHabit& h, int64_t id) { return h.itemId < id; });
  if (it == items_.end() || it->itemId != itemId) {
    return nullptr;
  }
  return &*it;
}

double HabitProfile::decayNorm() const {
  const double r = params_.decayRate;
  if (r >= 1.0) {
    return static_cast<double>(basketCount_);
  }
  return (1.0 - std::pow(r, static_cast<double>(basketCount_))) / (1.0 - r);
}

SparseVector HabitProfile::vector() const {
  SparseVector v;
  const double norm = decayNorm();
  if (norm <= 0) {
    return v;
  }
  v.reserve(items_.size());
  for (const ItemHabit& h : items_) {
    v.push_back(SparseEntry{h.itemId, h.weight / norm});
  }
  return v;
}

double HabitProfile::repurchaseInterval(const ItemHabit& habit) {
  if (habit.count < 2) {
    return 0;
  }
  return static_cast<double>(habit.lastBasket - habit.firstBasket) /
         static_cast<double>(habit.count - 1);
}

ProfileState HabitProfile::state() const { return ProfileState{params_, basketCount_, items_}; }

base::Result<HabitProfile> HabitProfile::fromState(ProfileState state) {
  const ProfileParams& p = state.params;
  if (!(p.decayRate > 0 && p.decayRate <= 1)) {
    return invalid("decay rate must be in (0, 1]");
  }
  if (p.capacity < 1) {
    return invalid("capacity must be at least 1");
  }
  if (state.basketCount < 0) {
    return invalid("negative basket count");
  }
  if (state.items.size() > p.capacity) {
    return invalid("more items than the capacity");
  }
  for (size_t i = 0; i < state.items.size(); ++i) {
    const ItemHabit& h = state.items[i];
    if (i > 0 && state.items[i - 1].itemId >= h.itemId) {
      return invalid("items not sorted by id or duplicated");
    }
    if (!(std::isfinite(h.weight) && h.weight > 0)) {
      return invalid("item weight must be finite and positive");
    }
    if (h.count < 1 || h.firstBasket < 0 || h.firstBasket > h.lastBasket ||
        h.lastBasket >= state.basketCount) {
      return invalid("item basket indices out of range");
    }
  }
  HabitProfile profile(p);
  profile.basketCount_ = state.basketCount;
  profile.items_ = std::move(state.items);
  return profile;
}

std::string HabitProfile::serialize() const {
  std::string out;
  out.reserve(16 + items_.size() * 14);
  out.push_back(kMagic);
  out.push_back(kVersion);
  putDouble(out, params_.decayRate);
  putVarint(out, params_.capacity);
  putVarint(out, static_cast<uint64_t>(basketCount_));
  putVarint(out, items_.size());
  int64_t previous = 0;
  for (size_t i = 0; i < items_.size(); ++i) {
    const ItemHabit& h = items_[i];
    if (i == 0) {
      putVarint(out, zigzag(h.itemId));
    } else {
      putVarint(out, static_cast<uint64_t>(h.itemId) - static_cast<uint64_t>(previous));
    }
    previous = h.itemId;
    putDouble(out, h.weight);
    putVarint(out, static_cast<uint64_t>(h.count));
    putVarint(out, static_cast<uint64_t>(basketCount_ - 1 - h.lastBasket));
    putVarint(out, static_cast<uint64_t>(h.lastBasket - h.firstBasket));
  }
  return out;
}

base::Result<HabitProfile> HabitProfile::deserialize(std::string_view bytes) {
  Reader in(bytes);
  char magic = 0;
  char version = 0;
  if (!in.byte(magic) || magic != kMagic || !in.byte(version)) {
    return invalid("not a serialised profile");
  }
  if (version != kVersion) {
    return invalid("unknown version " + std::to_string(static_cast<int>(version)));
  }
  ProfileState state;
  int64_t capacity = 0;
  int64_t itemCount = 0;
  if (!in.real(state.params.decayRate) || !in.count(capacity) || !in.count(state.basketCount) ||
      !in.count(itemCount)) {
    return invalid("truncated header");
  }
  state.params.capacity = static_cast<size_t>(capacity);
  if (itemCount > capacity) {
    return invalid("more items than the capacity");
  }
  // Each item takes at least 12 bytes: refuse counts the input cannot hold before reserving.
  if (static_cast<uint64_t>(itemCount) > bytes.size() / 12) {
    return invalid("truncated items");
  }
  state.items.reserve(static_cast<size_t>(itemCount));
  int64_t previous = 0;
  for (int64_t i = 0; i < itemCount; ++i) {
    uint64_t idField = 0;
    ItemHabit h;
    int64_t age = 0;
    int64_t span = 0;
    if (!in.varint(idField) || !in.real(h.weight) || !in.count(h.count) || !in.count(age) ||
        !in.count(span)) {
      return invalid("truncated item " + std::to_string(i));
    }
    if (i == 0) {
      h.itemId = unzigzag(idField);
    } else {
      if (idField == 0) {
        return invalid("items not sorted by id or duplicated");
      }
      // INT64_MAX - previous, exact in uint64_t for every int64_t value of previous.
      const uint64_t room = static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(previous);
      if (idField > room) {
        return invalid("item id overflow");
      }
      h.itemId = static_cast<int64_t>(static_cast<uint64_t>(previous) + idField);
    }
    previous = h.itemId;
    if (age >= state.basketCount || span > state.basketCount - 1 - age) {
      return invalid("item basket indices out of range");
    }
    h.lastBasket = state.basketCount - 1 - age;
    h.firstBasket = h.lastBasket - span;
    state.items.push_back(h);
  }
  if (!in.atEnd()) {
    return invalid("trailing bytes");
  }
  return fromState(std::move(state));
}

}  // namespace loyalty::core::personalization
