#include "nfs/v4/slot_table.h"

#include <algorithm>
#include <chrono>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

constexpr auto kCancelPoll = std::chrono::milliseconds(50);

}  // namespace

uint32_t slots_granted(uint32_t asked, uint32_t granted) {
    return std::clamp<uint32_t>(granted, 1, std::max<uint32_t>(1, asked));
}

SlotTable::SlotTable(uint32_t slots)
    : slots_(std::max<uint32_t>(1, slots)), target_(static_cast<uint32_t>(slots_.size() - 1)) {}

void SlotTable::retire() {
    std::lock_guard lock(mutex_);
    retired_ = true;
    freed_.notify_all();
}

std::optional<SlotTable::Slot> SlotTable::acquire(const CallContext& context) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (retired_) return std::nullopt;
        for (uint32_t id = 0; id < slots_.size() && usable(id); ++id) {
            if (!slots_[id].in_use) {
                slots_[id].in_use = true;
                return Slot{id, slots_[id].sequence};
            }
        }
        if (context.cancelled()) throw Error(EINTR, "interrupted while waiting for a session slot");
        freed_.wait_for(lock, kCancelPoll);
    }
}

uint32_t SlotTable::highest_in_use() const {
    std::lock_guard lock(mutex_);
    uint32_t highest = 0;
    for (uint32_t id = 0; id < slots_.size(); ++id)
        if (slots_[id].in_use) highest = id;
    return highest;
}

void SlotTable::completed(const Slot& slot, uint32_t target) {
    std::lock_guard lock(mutex_);
    if (slot.id >= slots_.size()) return;
    State& state = slots_[slot.id];
    state.sequence = slot.sequence + 1;
    state.in_use = false;
    // Never below slot 0; never above what the session was given.
    target_ = std::min<uint32_t>(target, static_cast<uint32_t>(slots_.size() - 1));
    freed_.notify_all();
}

void SlotTable::skipped(const Slot& slot) {
    std::lock_guard lock(mutex_);
    if (slot.id >= slots_.size()) return;
    slots_[slot.id].sequence = slot.sequence + 1;
    slots_[slot.id].in_use = false;
    freed_.notify_all();
}

void SlotTable::released_unused(const Slot& slot) {
    std::lock_guard lock(mutex_);
    if (slot.id >= slots_.size()) return;
    slots_[slot.id].in_use = false;
    freed_.notify_all();
}

uint32_t SlotTable::size() const {
    std::lock_guard lock(mutex_);
    return static_cast<uint32_t>(slots_.size());
}

}  // namespace nfsfuse::nfs::v4
