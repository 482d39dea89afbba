import Testing
@testable import Gateway

@Suite("BackendSelector")
struct BackendSelectorTests {
    private func candidate(
        _ name: String, inFlight: Int = 0, max: Int = 4, weight: Int = 1, loaded: Bool = false, affinity: Bool = false
    ) -> BackendSelector.Candidate {
        .init(name: name, weight: weight, inFlight: inFlight, maxParallel: max, loaded: loaded, affinity: affinity)
    }

    @Test func prefersTheBackendWithTheModelLoaded() {
        let chosen = BackendSelector.choose([candidate("a"), candidate("b", inFlight: 3, loaded: true)], rotation: 0)
        #expect(chosen?.name == "b")
    }

    @Test func affinityComesAfterLoadedAndBeforeLoad() {
        #expect(BackendSelector.choose([candidate("a"), candidate("b", inFlight: 2, affinity: true)], rotation: 0)?.name == "b")
        #expect(
            BackendSelector.choose([candidate("a", loaded: true), candidate("b", affinity: true)], rotation: 0)?.name == "a"
        )
    }

    @Test func affinityToAFullBackendIsIgnored() {
        let chosen = BackendSelector.choose([candidate("a", inFlight: 1), candidate("b", inFlight: 4, affinity: true)], rotation: 0)
        #expect(chosen?.name == "a")
    }

    @Test func leastLoadedRelativeToMaxParallel() {
        // a: 2 of 4 (50 %), b: 2 of 8 (25 %).
        #expect(BackendSelector.choose([candidate("a", inFlight: 2), candidate("b", inFlight: 2, max: 8)], rotation: 0)?.name == "b")
    }

    @Test func weightBreaksLoadTies() {
        #expect(BackendSelector.choose([candidate("a"), candidate("b", weight: 3)], rotation: 0)?.name == "b")
    }

    @Test func equalBackendsRotate() {
        let names = (0..<6).compactMap { BackendSelector.choose([candidate("a"), candidate("b"), candidate("c")], rotation: $0)?.name }
        #expect(Set(names) == ["a", "b", "c"])
    }

    @Test func noneWhenEveryBackendIsFull() {
        #expect(BackendSelector.choose([candidate("a", inFlight: 4), candidate("b", inFlight: 1, max: 1)], rotation: 0) == nil)
    }
}

@Suite("FleetState")
struct FleetStateTests {
    static let now = ContinuousClock.now

    /// Backends `names`, each with `max` slots and the model `m:latest`, up.
    private func state(_ names: [String], max: Int = 1, queueMax: Int = 8, threshold: Int = 2) -> FleetState {
        var state = FleetState(queueMax: queueMax, affinityEntries: 100)
        _ = state.configure(names.map { ($0, 1, max) }, threshold: threshold, openFor: .seconds(5))
        for name in names {
            _ = state.discovered(name, models: ["m:latest"], loaded: [], now: Self.now)
            _ = state.checked(name, up: true, now: Self.now)
        }
        return state
    }

    private let request = FleetState.Request(model: "m:latest")

    @Test func grantsUntilFullThenQueuesInOrderAndServesFIFO() {
        var fleet = state(["a"], max: 1)
        #expect(fleet.acquire(request, id: 1, now: Self.now) == .granted(backend: "a"))
        #expect(fleet.acquire(request, id: 2, now: Self.now) == .queued)
        #expect(fleet.acquire(request, id: 3, now: Self.now) == .queued)
        #expect(fleet.release("a", outcome: .ok, model: "m:latest", now: Self.now) == [.grant(id: 2, backend: "a")])
        #expect(fleet.release("a", outcome: .ok, model: nil, now: Self.now) == [.grant(id: 3, backend: "a")])
        #expect(fleet.queueDepth == 0)
    }

    @Test func aFullQueueRefuses() {
        var fleet = state(["a"], max: 1, queueMax: 1)
        _ = fleet.acquire(request, id: 1, now: Self.now)
        #expect(fleet.acquire(request, id: 2, now: Self.now) == .queued)
        #expect(fleet.acquire(request, id: 3, now: Self.now) == .queueFull)
    }

    @Test func aCancelledWaiterLeavesTheQueue() {
        var fleet = state(["a"], max: 1)
        _ = fleet.acquire(request, id: 1, now: Self.now)
        _ = fleet.acquire(request, id: 2, now: Self.now)
        let removed = fleet.cancel(2)
        let removedAgain = fleet.cancel(2)
        #expect(removed && !removedAgain)
        #expect(fleet.release("a", outcome: .ok, model: nil, now: Self.now).isEmpty)
    }

    @Test func onlyBackendsWithTheModelAreCandidates() {
        var fleet = state(["a", "b"])
        _ = fleet.discovered("a", models: ["other:latest"], loaded: [], now: Self.now)
        for id in 1...1 { #expect(fleet.acquire(request, id: id, now: Self.now) == .granted(backend: "b")) }
        #expect(fleet.acquire(FleetState.Request(model: "nowhere:latest"), id: 9, now: Self.now) == .unavailable)
    }

    @Test func failuresOpenTheCircuitAndAProbeClosesIt() {
        var fleet = state(["a"], max: 4, threshold: 2)
        _ = fleet.acquire(request, id: 1, now: Self.now)
        _ = fleet.release("a", outcome: .failed, model: nil, now: Self.now)
        #expect(fleet.isUp("a", now: Self.now))
        _ = fleet.acquire(request, id: 2, now: Self.now)
        _ = fleet.release("a", outcome: .failed, model: nil, now: Self.now)
        #expect(!fleet.isUp("a", now: Self.now))
        #expect(fleet.acquire(request, id: 3, now: Self.now) == .unavailable)
        // After the open period one probe goes; a second call waits for its verdict.
        let later = Self.now + .seconds(6)
        #expect(fleet.acquire(request, id: 4, now: later) == .granted(backend: "a"))
        #expect(fleet.acquire(request, id: 5, now: later) == .unavailable)
        _ = fleet.release("a", outcome: .ok, model: nil, now: later)
        #expect(fleet.acquire(request, id: 6, now: later) == .granted(backend: "a"))
    }

    @Test func aBackendThatNeverAnsweredIsOutAtItsFirstFailure() {
        var fleet = FleetState(queueMax: 4, affinityEntries: 10)
        _ = fleet.configure([("a", 1, 1)], threshold: 3, openFor: .seconds(5))
        _ = fleet.discovered("a", models: ["m:latest"], loaded: [], now: Self.now)
        _ = fleet.checked("a", up: false, now: Self.now)
        #expect(!fleet.isUp("a", now: Self.now))
    }

    @Test func aHealthCheckDoesNotCloseACircuitBeforeItsOpenPeriodEnds() {
        var fleet = state(["a"], max: 4, threshold: 1)
        _ = fleet.acquire(request, id: 1, now: Self.now)
        _ = fleet.release("a", outcome: .failed, model: nil, now: Self.now)
        _ = fleet.checked("a", up: true, now: Self.now + .seconds(1))
        #expect(!fleet.isUp("a", now: Self.now + .seconds(1)))
        _ = fleet.checked("a", up: true, now: Self.now + .seconds(6))
        #expect(fleet.isUp("a", now: Self.now + .seconds(6)))
    }

    @Test func waitersFailWhenTheirLastBackendGoesDown() {
        var fleet = state(["a"], max: 1, threshold: 1)
        _ = fleet.acquire(request, id: 1, now: Self.now)
        _ = fleet.acquire(request, id: 2, now: Self.now)
        #expect(fleet.checked("a", up: false, now: Self.now) == [.unavailable(id: 2)])
    }

    @Test func failoverExcludesTriedBackends() {
        var fleet = state(["a", "b"], max: 4)
        var retry = request
        retry.excluded = ["a"]
        #expect(fleet.acquire(retry, id: 1, now: Self.now) == .granted(backend: "b"))
        retry.excluded = ["a", "b"]
        #expect(fleet.acquire(retry, id: 2, now: Self.now) == .unavailable)
    }

    @Test func aConversationStaysOnItsBackend() {
        var fleet = state(["a", "b", "c"], max: 4)
        var turn = request
        turn.conversation = 42
        guard case .granted(let first) = fleet.acquire(turn, id: 1, now: Self.now) else { Issue.record("not granted"); return }
        _ = fleet.release(first, outcome: .neutral, model: nil, now: Self.now)
        for id in 2...6 {
            #expect(fleet.acquire(turn, id: id, now: Self.now) == .granted(backend: first))
            _ = fleet.release(first, outcome: .neutral, model: nil, now: Self.now)
        }
    }

    @Test func aReloadKeepsSlotsAndDropsRemovedBackendsOnceIdle() {
        var fleet = state(["a"], max: 1)
        _ = fleet.acquire(request, id: 1, now: Self.now)
        _ = fleet.configure([("b", 1, 1)], threshold: 2, openFor: .seconds(5))
        #expect(fleet.entries["a"]?.active == false)
        #expect(fleet.acquire(request, id: 2, now: Self.now) == .unavailable)  // b not listed yet
        _ = fleet.discovered("b", models: ["m:latest"], loaded: [], now: Self.now)
        _ = fleet.checked("b", up: true, now: Self.now)
        #expect(fleet.acquire(request, id: 3, now: Self.now) == .granted(backend: "b"))
        _ = fleet.release("a", outcome: .ok, model: nil, now: Self.now)
        #expect(fleet.entries["a"] == nil)
    }
}

@Suite("AffinityTable")
struct AffinityTableTests {
    @Test func boundedAndKeepsRecentlyUsed() {
        var table = AffinityTable(capacity: 10)
        table.remember(0, "a")
        for key in UInt64(1)...100 {
            table.remember(key, "b")
            #expect(table.backend(for: 0) == "a")  // used every round: never forgotten
            #expect(table.count <= 10)
        }
        #expect(table.backend(for: 1) == nil)
    }
}

@Suite("ConversationKey")
struct ConversationKeyTests {
    @Test func laterTurnsShareTheOpeningsKey() {
        let first = Array(#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}"#.utf8)
        let third = Array(
            #"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},{"role":"user","content":"more"}]}"#
                .utf8
        )
        let other = Array(#"{"messages":[{"role":"user","content":"hello"}]}"#.utf8)
        let key = ConversationKey.of(nativeBody: first, keyID: "k", model: "m")
        #expect(key != nil)
        #expect(ConversationKey.of(nativeBody: third, keyID: "k", model: "m") == key)
        #expect(ConversationKey.of(nativeBody: first, keyID: "other", model: "m") != key)
        #expect(ConversationKey.of(nativeBody: other, keyID: "k", model: "m") != key)
        #expect(ConversationKey.of(nativeBody: Array(#"{"prompt":"x"}"#.utf8), keyID: "k", model: "m") == nil)
    }
}
