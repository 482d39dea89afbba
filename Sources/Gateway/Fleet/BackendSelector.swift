/// Picks the backend for one call among the healthy backends that have its model. Pure, no I/O.
///
/// Order: a backend with the model already loaded (its `/api/ps`); then the conversation's last backend
/// (session affinity); then the least loaded relative to its `max_parallel`; then the higher `weight`;
/// ties rotate (``rotation``), so equal backends share the work. Only a backend with a free slot is chosen.
enum BackendSelector {
    struct Candidate: Sendable, Equatable {
        var name: String
        var weight: Int
        var inFlight: Int
        var maxParallel: Int
        /// The model is loaded there now.
        var loaded: Bool
        /// The conversation was last served there.
        var affinity: Bool

        var hasRoom: Bool { inFlight < maxParallel }
    }

    /// `candidates`, best first.
    static func ranked(_ candidates: [Candidate], rotation: Int) -> [Candidate] {
        let count = max(candidates.count, 1)
        return candidates.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.loaded != y.loaded { return x.loaded }
            let (xAffine, yAffine) = (x.affinity && x.hasRoom, y.affinity && y.hasRoom)
            if xAffine != yAffine { return xAffine }
            // inFlight / maxParallel compared without division.
            let (xLoad, yLoad) = (x.inFlight * y.maxParallel, y.inFlight * x.maxParallel)
            if xLoad != yLoad { return xLoad < yLoad }
            if x.weight != y.weight { return x.weight > y.weight }
            return (a.offset + count - rotation % count) % count < (b.offset + count - rotation % count) % count
        }.map(\.element)
    }

    /// The best candidate with a free slot, or nil when every one is full.
    static func choose(_ candidates: [Candidate], rotation: Int) -> Candidate? {
        ranked(candidates, rotation: rotation).first(where: \.hasRoom)
    }
}
