/// A map with a fixed number of slots that forgets its least recently used entries first (the "clock"
/// approximation of LRU).
///
/// Every slot has a "used" bit, set by ``value(for:)``. When the cache is full, a hand sweeps the slots,
/// clearing used bits, and the first slot found unused since the hand last passed is reused. Lookups,
/// inserts and removals are O(1) amortized, and memory never grows past `capacity` entries. Not
/// thread-safe: the owner locks around it.
struct ClockCache<Value> {
    private struct Slot {
        var key: String
        var value: Value
        var used: Bool
    }

    let capacity: Int
    private var slots: [Slot?] = []
    private var index: [String: Int] = [:]
    /// Slots emptied by ``remove(_:)``, reused before the hand evicts anything.
    private var free: [Int] = []
    private var hand = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a ClockCache needs at least one slot")
        self.capacity = capacity
    }

    /// Entries held now; never more than ``capacity``.
    var count: Int { index.count }

    /// The value for `key`, marking it recently used.
    mutating func value(for key: String) -> Value? {
        guard let position = index[key] else { return nil }
        slots[position]!.used = true
        return slots[position]!.value
    }

    /// Stores `value` for `key`, evicting the least recently used entry when every slot is taken.
    mutating func set(_ value: Value, for key: String) {
        if let position = index[key] {
            slots[position] = Slot(key: key, value: value, used: true)
            return
        }
        let position: Int
        if let reusable = free.popLast() {
            position = reusable
        } else if slots.count < capacity {
            position = slots.count
            slots.append(nil)
        } else {
            position = victim()
            index[slots[position]!.key] = nil
        }
        // A new entry starts unused: it must be read again to outlive the next sweep.
        slots[position] = Slot(key: key, value: value, used: false)
        index[key] = position
    }

    mutating func remove(_ key: String) {
        guard let position = index.removeValue(forKey: key) else { return }
        slots[position] = nil
        free.append(position)
    }

    /// Removes every entry whose value matches `predicate` (a sweep of all slots: for rare changes only).
    mutating func removeAll(where predicate: (Value) -> Bool) {
        for (key, position) in index where predicate(slots[position]!.value) {
            remove(key)
        }
    }

    mutating func removeAll() {
        slots.removeAll()
        index.removeAll()
        free.removeAll()
        hand = 0
    }

    /// The slot the hand stops at: the first one not used since the last sweep (all slots are full here).
    private mutating func victim() -> Int {
        while true {
            let position = hand
            hand = (hand + 1) % slots.count
            if slots[position]!.used {
                slots[position]!.used = false
            } else {
                return position
            }
        }
    }
}
