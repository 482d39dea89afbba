import Dialects
import Foundation
import Testing
@testable import Gateway

@Suite("Usage API parameters")
struct UsageParametersTests {
    @Test func cursorRoundTrips() throws {
        let cursor = SpendLogCursor(startedAtMicros: 1_714_564_800_123_456, requestID: "req_0123456789abcdef01234567")
        let text = cursor.encoded
        #expect(!text.contains("="))
        #expect(!text.contains("+") && !text.contains("/"))
        #expect(SpendLogCursor(encoded: text) == cursor)
        // A request id with colons survives (only the first two separate fields).
        let odd = SpendLogCursor(startedAtMicros: -5, requestID: "a:b:c")
        #expect(SpendLogCursor(encoded: odd.encoded) == odd)
    }

    @Test func cursorRefusesJunk() {
        for text in ["", "abc", "!!!!", Data("v2:1:x".utf8).base64EncodedString(), Data("v1:notanumber:x".utf8).base64EncodedString(),
            Data("v1:12:".utf8).base64EncodedString(), String(repeating: "A", count: 600)]
        {
            #expect(SpendLogCursor(encoded: text) == nil, "\(text)")
        }
    }

    @Test func timestampsAreExactToTheMicrosecond() {
        #expect(UsageTime.rfc3339(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(UsageTime.rfc3339(micros: 1_714_564_800_123_456) == "2024-05-01T12:00:00.123456Z")
        #expect(UsageTime.postgres(micros: 1_714_564_800_000_001) == "2024-05-01 12:00:00.000001+00")
        #expect(UsageTime.rfc3339(micros: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(UsageTime.rfc3339(micros: 951_782_400_000_000) == "2000-02-29T00:00:00.000000Z")
    }

    @Test func days() throws {
        let day = try #require(UsageDay("2024-02-29"))
        #expect(day.description == "2024-02-29")
        #expect(UsageDay(daysSinceEpoch: day.daysSinceEpoch + 1).description == "2024-03-01")
        #expect(UsageDay("1970-01-01")?.daysSinceEpoch == 0)
        #expect(day.start == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(UsageDay(containing: Date(timeIntervalSince1970: 1_709_164_800 + 86399)) == day)
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "24-01-01", "2024-01-32", "2024/01/01", "2024-01-01T00:00:00Z"] {
            #expect(UsageDay(bad) == nil, "\(bad)")
        }
    }

    @Test func timeBounds() throws {
        let parameters = UsageParameters(query: [
            "start_date": "2024-05-01", "end_date": "2024-05-31T23:00:00.5+02:00", "bad": "yesterday",
        ])
        #expect(try parameters.timeBound("start_date") == .day(UsageDay("2024-05-01")!))
        let end = try #require(try parameters.timeBound("end_date"))
        #expect(end == .instant(micros: 1_717_189_200_500_000))
        #expect(UsageParameters.rfc3339Micros("2024-05-01T12:00:00.123456Z") == 1_714_564_800_123_456)
        #expect(UsageParameters.rfc3339Micros("2024-05-01t12:00:00z") == 1_714_564_800_000_000)
        let west: Int64 = 1_714_564_800_123_456 + 5_400_000_000
        let parsed = UsageParameters.rfc3339Micros("2024-05-01T12:00:00.1234567-01:30")
        #expect(parsed == west, "digits past the microsecond are dropped; -01:30 is 90 minutes behind UTC")
        for bad in ["2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk",
            "2024-05-01T12:00:00+0200"]
        {
            #expect(UsageParameters.rfc3339Micros(bad) == nil, "\(bad)")
        }
        #expect(end.day.description == "2024-05-31")
        #expect(try parameters.timeBound("missing") == nil)
        let error = #expect(throws: GatewayError.self) { try parameters.timeBound("bad") }
        #expect(error?.error.param == "bad")
    }

    @Test func dayRangeDefaultsToTheLastThirtyDays() throws {
        let today = UsageDay("2024-05-31")!
        let range = try UsageParameters(query: [:]).dayRange(today: today)
        #expect(range.lowerBound.description == "2024-05-02")
        #expect(range.upperBound == today)
        let error = #expect(throws: GatewayError.self) {
            try UsageParameters(query: ["start_date": "2024-06-01", "end_date": "2024-05-01"]).dayRange(today: today)
        }
        #expect(error?.error.param == "start_date")
    }

    @Test func groupBy() throws {
        #expect(try UsageParameters(query: [:]).groupBy() == [])
        #expect(try UsageParameters(query: ["group_by": "model, day,key,model"]).groupBy() == [.day, .key, .model])
        #expect(try UsageParameters(query: ["group_by": "user"]).groupBy() == [.user])
        #expect(try UsageParameters(query: ["group_by": "end_user,team,day"]).groupBy() == [.day, .team, .endUser])
        let error = #expect(throws: GatewayError.self) { try UsageParameters(query: ["group_by": "day,planet"]).groupBy() }
        #expect(error?.error.param == "group_by")
        #expect(error?.error.message.contains("planet") == true)
    }

    @Test func statusAndNumbers() throws {
        #expect(try UsageParameters(query: ["status": "success"]).status() == .ok)
        #expect(try UsageParameters(query: ["status": "ok"]).status() == .ok)
        #expect(try UsageParameters(query: ["status": "failure"]).status() == .failed)
        #expect(try UsageParameters(query: ["status": "timeout"]).status() == .exactly("timeout"))
        #expect(throws: GatewayError.self) { try UsageParameters(query: ["status": "weird"]).status() }
        #expect(try UsageParameters(query: ["limit": "5"]).integer("limit", in: 1...1000, default: 100) == 5)
        #expect(try UsageParameters(query: [:]).integer("limit", in: 1...1000, default: 100) == 100)
        for bad in ["0", "1001", "ten", "-1"] {
            let error = #expect(throws: GatewayError.self) { try UsageParameters(query: ["limit": bad]).integer("limit", in: 1...1000, default: 100) }
            #expect(error?.error.param == "limit")
        }
    }

    @Test func apiKeyNamesAKeyThreeWays() async throws {
        let secret = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        let hash = KeySecret.hash(secret)
        let lookup: (String) async throws -> String? = { $0 == hash ? "0f8fad5b-d9cb-469f-a165-70867728950e" : nil }
        #expect(try await UsageParameters(query: ["api_key": secret]).keyID(resolve: lookup) == "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(try await UsageParameters(query: ["api_key": hash]).keyID(resolve: lookup) == "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(try await UsageParameters(query: ["api_key": "0F8FAD5B-D9CB-469F-A165-70867728950E"]).keyID(resolve: lookup) == "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(try await UsageParameters(query: ["api_key": "master"]).keyID(resolve: lookup) == "master")
        let unknown = String(repeating: "a", count: 64)
        #expect(try await UsageParameters(query: ["api_key": unknown]).keyID(resolve: lookup) == unknown, "matches no row")
        #expect(try await UsageParameters(query: [:]).keyID(resolve: lookup) == nil)
        await #expect(throws: GatewayError.self) { try await UsageParameters(query: ["api_key": "my-key"]).keyID(resolve: lookup) }
    }
}
