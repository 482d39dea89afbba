/// Conversation → the backend that served it last, bounded: at most ``capacity`` entries.
///
/// Two generations: lookups hit the current one or promote from the previous one; when the current
/// one is full it becomes the previous one and the oldest generation is forgotten. That is least
/// recently used at the granularity of half the capacity, at O(1) per call.
struct AffinityTable: Sendable {
    let capacity: Int
    private var current: [UInt64: String] = [:]
    private var previous: [UInt64: String] = [:]

    init(capacity: Int) { self.capacity = max(capacity, 2) }

    var count: Int { current.count + previous.count }

    mutating func backend(for key: UInt64) -> String? {
        if let name = current[key] { return name }
        guard let name = previous.removeValue(forKey: key) else { return nil }
        remember(key, name)
        return name
    }

    mutating func remember(_ key: UInt64, _ backend: String) {
        previous.removeValue(forKey: key)
        if current[key] == nil, current.count >= capacity / 2 {
            previous = current
            current = [:]
        }
        current[key] = backend
    }

    /// Forgets every conversation that went to `backend` (it left the fleet).
    mutating func forget(backend: String) {
        current = current.filter { $0.value != backend }
        previous = previous.filter { $0.value != backend }
    }
}
