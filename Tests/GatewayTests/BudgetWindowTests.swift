import Foundation
import Testing
@testable import Gateway

@Suite("BudgetWindow")
struct BudgetWindowTests {
    let anchor = Date(timeIntervalSince1970: 1_700_000_123)

    @Test func hourlyPeriodsResetExactlyAtTheBoundary() throws {
        let before = try #require(BudgetWindow.window(duration: "1h", anchor: anchor, now: anchor.addingTimeInterval(3599.999)))
        let at = try #require(BudgetWindow.window(duration: "1h", anchor: anchor, now: anchor.addingTimeInterval(3600)))
        #expect(before.index == 0)
        #expect(at.index == 1)
        #expect(at.start == anchor.addingTimeInterval(3600))
        #expect(before.end == at.start)
    }

    @Test(arguments: [("1d", 86_400.0), ("7d", 604_800.0), ("30d", 2_592_000.0)])
    func fixedPeriods(duration: String, length: TimeInterval) throws {
        let window = try #require(BudgetWindow.window(duration: duration, anchor: anchor, now: anchor.addingTimeInterval(length * 2.5)))
        #expect(window.index == 2)
        #expect(window.end.timeIntervalSince(window.start) == length)
    }

    @Test func monthsFollowTheCalendar() throws {
        // Anchored on Jan 31: months end on the last day when the month is shorter.
        let jan31 = Date(timeIntervalSince1970: 1_706_659_200)  // 2024-01-31T00:00:00Z
        let march = Date(timeIntervalSince1970: 1_709_337_600)  // 2024-03-02T00:00:00Z
        let window = try #require(BudgetWindow.window(duration: "1mo", anchor: jan31, now: march))
        #expect(window.start <= march && march < window.end)
        #expect(window.index == 1)
    }

    @Test func beforeTheAnchorAndUnknownDurations() throws {
        let window = try #require(BudgetWindow.window(duration: "1h", anchor: anchor, now: anchor.addingTimeInterval(-1)))
        #expect(window.index == -1)
        #expect(BudgetWindow.window(duration: "fortnight", anchor: anchor, now: anchor) == nil)
    }

    @Test func rateLimitDurations() {
        #expect(RateLimitHeaders.duration(ms: 250) == "250ms")
        #expect(RateLimitHeaders.duration(ms: 12_001) == "13s")
        #expect(RateLimitHeaders.duration(ms: 60_000) == "1m0s")
    }
}
