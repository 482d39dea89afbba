import Testing
@testable import Gateway

@Suite("RequestRace")
struct RequestRaceTests {
    @Test func aSignalBeforeTheWaitIsKept() async {
        let race = RequestRace()
        race.signal(.hungUp)
        #expect(await race.winner() == .hungUp)
    }

    @Test func aSignalWakesTheWaiter() async {
        let race = RequestRace()
        async let winner = race.winner()
        try? await Task.sleep(for: .milliseconds(20))
        race.signal(.answered)
        #expect(await winner == .answered)
    }

    @Test func theFirstSignalWinsAndLaterOnesAreIgnored() async {
        let race = RequestRace()
        race.signal(.answered)
        race.signal(.hungUp)
        #expect(await race.winner() == .answered)
    }

    /// Signals from many threads at once: exactly one wins, the waiter is resumed once (a second resume of
    /// a checked continuation would trap).
    @Test func concurrentSignalsResumeTheWaiterOnce() async {
        for _ in 0..<200 {
            let race = RequestRace()
            async let winner = race.winner()
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<8 { group.addTask { race.signal(index % 2 == 0 ? .answered : .hungUp) } }
            }
            let first = await winner
            #expect(first == .answered || first == .hungUp)
        }
    }
}
