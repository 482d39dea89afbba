import Dialects
import Foundation
import PropertyBased
import Testing
@testable import Gateway

/// Fuzzing of the admin API's typed bodies (`/key/*`, `/user/*`) as property-based tests.
///
/// They live in `Gateway` beside Hummingbird and Postgres, which the libFuzzer build in fuzz/ leaves out
/// to stay small, so they are fuzzed here instead: bodies built from the fields the routes read, with
/// values chosen to sit on the edges (huge and negative numbers, periods with twenty digits, wrong
/// types), decoded into every request type and through the column builders the services call. A trap anywhere
/// ends the test process, which fails the test run. The regression tests at the end keep each input
/// that crashed the gateway before its fix.
@Suite("Admin body parsers, property-based")
struct AdminBodyPropertyTests {
    /// Every field a key or user route reads from a body.
    static let names = [
        "key", "key_alias", "user_id", "blocked", "models", "rpm_limit", "tpm_limit", "max_parallel_requests", "max_budget",
        "budget_duration", "metadata", "duration", "expires", "keys", "key_aliases", "user_ids", "auto_create_key", "user_alias",
        "user_email",
    ]

    /// JSON values that sit on the parsers' edges.
    static let edgeValues = [
        "null", "true", "false", "0", "-0", "1", "-1", "0.5", "1.0", "1e15", "999999999999999", "1e308", "-1e308", "1e400", "1e-400",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "\"\"", "\"-1\"", "\"1h\"",
        "\"0d\"", "\"1mo\"", "\"mo\"", "\"٣d\"", "\"½h\"", "\"2025-01-01T00:00:00Z\"", "\"2025-01-01T00:00:00.123Z\"", "\"0000-00-00\"",
        "\"sk-abc\"", "[]", "[\"a\"]", "[1]", "[null]", "{}", "{\"a\":[1,{\"b\":null}]}", "\"\\u0000\"", "\"\\ud800\"",
    ]

    /// A period or duration text: digits (up to twenty: past `Int.max`) and a unit, known or not.
    static let periodText = zip(Gen.number.string(of: 0...20), Gen.element(of: ["s", "m", "h", "d", "mo", "", "y", "MO", "d ", "-"]))
        .map { digits, unit in "\"\(digits)\(unit ?? "")\"" }

    static let value = Gen.oneOf(
        Gen.element(of: edgeValues).map { $0 ?? "null" },
        periodText,
        Gen.int64(in: .min ... .max).map { String($0) },
        Gen.double(in: -1e20...1e20).map { "\($0)".replacingOccurrences(of: "+", with: "") },
        Gen.letterOrNumber.string(of: 0...12).map { "\"\($0)\"" }
    )

    /// A body of up to eight members with names the routes read (sometimes repeated).
    static let body = zip(Gen.element(of: names), value).array(of: 0...8)
        .map { members in "{" + members.map { "\"\($0.0 ?? "key")\":\($0.1)" }.joined(separator: ",") + "}" }

    @Test func bodiesOfKnownFieldsNeverTrap() async {
        await propertyCheck(count: 3000, input: Self.body) { body in
            await Self.exercise(Data(body.utf8))
        }
    }

    @Test func arbitraryBytesNeverTrap() async {
        await propertyCheck(count: 2000, input: Gen.uint8(in: 0...255).array(of: 0...48)) { bytes in
            await Self.exercise(Data(bytes))
        }
    }

    @Test func periodsAreReadWithoutOverflow() async {
        await propertyCheck(count: 3000, input: Self.periodText) { quoted in
            let text = String(quoted.dropFirst().dropLast())
            guard let seconds = BudgetPeriod.seconds(text) else { return }
            #expect(seconds > 0 && seconds <= BudgetPeriod.maxSeconds, "\(text) -> \(seconds)")
            let anchor = Date(timeIntervalSince1970: 1_700_000_000)
            let now = anchor.addingTimeInterval(86_400 * 400)
            let window = BudgetWindow.window(duration: text, anchor: anchor, now: now)
            #expect(window.map { $0.start <= now && now < $0.end } == true, "\(text): \(String(describing: window))")
        }
    }

    /// Decodes `body` as every typed request of `/key/*` and `/user/*` (``AdminJSON``: check, decode,
    /// validate) and builds the columns the services would write. Each either returns or throws a
    /// ``GatewayError`` (a 400 with a message), and what it returns is in range.
    static func exercise(_ body: Data) async {
        expectClientError {
            let key = try AdminJSON.decode(KeyRequest.self, from: body)
            let columns = key.columns(now: Date())
            #expect(columns.values.count == columns.columns.split(separator: ",").count)
            if let count = key.limits.rpmLimit.value { #expect(count >= 0) }
            if let dollars = key.limits.maxBudget.value { #expect(dollars >= 0) }
            if let reference = key.key { _ = try KeyAdminService.hash(naming: reference) }
        }
        expectClientError { _ = try AdminJSON.decode(DeleteKeysRequest.self, from: body) }
        expectClientError { _ = try AdminJSON.decode(UserRequest.self, from: body).columns }
        expectClientError { _ = try AdminJSON.decode(DeleteUsersRequest.self, from: body) }
    }

    static func expectClientError(_ body: () throws -> Void) {
        do {
            try body()
        } catch {
            #expect((error as? GatewayError)?.error.kind == .invalidRequest, "\(error)")
        }
    }

    // MARK: Inputs that crashed the gateway before their fix

    /// `99999999999999999d`: the digits fit an Int, the seconds did not; the multiplication trapped.
    @Test(arguments: ["99999999999999999d", "9223372036854775807s", "999999999999999999mo", "106751991167301d"])
    func periodsPastIntMaxAreRefused(text: String) {
        #expect(BudgetPeriod.seconds(text) == nil)
    }

    /// A key's `duration` of 10^14 s fitted an Int, but its expiry in microseconds overflowed Int64 when
    /// bound as a PostgreSQL timestamp: `/key/generate` trapped instead of answering 400.
    @Test func hugeKeyDurationIsABadRequest() {
        let error = #expect(throws: GatewayError.self) { try AdminJSON.decode(KeyRequest.self, from: Data(#"{"duration":"100000000000000s"}"#.utf8)) }
        #expect(error?.error.param == "duration")
    }

    /// A budget of `99999999999mo` passed the check (its seconds fit an Int) and gave every request on the
    /// key a window ending eight billion years on.
    @Test func hugeMonthlyBudgetIsRefused() {
        #expect(throws: GatewayError.self) { try AdminJSON.decode(KeyRequest.self, from: Data(#"{"budget_duration":"99999999999mo"}"#.utf8)) }
        #expect(BudgetWindow.window(duration: "99999999999mo", anchor: Date(timeIntervalSince1970: 0), now: Date()) == nil)
    }

    /// `rpm_limit` 2^31 passed the check and PostgreSQL's `integer` column refused it: a 500, not a 400.
    @Test func limitsPastTheirColumnAreABadRequest() throws {
        let error = #expect(throws: GatewayError.self) {
            try AdminJSON.decode(KeyRequest.self, from: Data(#"{"rpm_limit":2147483648,"tpm_limit":2147483648}"#.utf8))
        }
        #expect(error?.error.param == "rpm_limit")
        let fitting = try AdminJSON.decode(KeyRequest.self, from: Data(#"{"rpm_limit":2147483647,"tpm_limit":2147483648}"#.utf8))
        #expect(fitting.columns(now: Date()).columns == "rpm_limit, tpm_limit")
    }

    /// The longest period accepted, in every unit, and one more is refused.
    @Test(arguments: [("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("mo", 30 * 86_400)])
    func periodsUpToTheBoundAreKept(unit: String, size: Int) throws {
        let most = BudgetPeriod.maxSeconds / size
        #expect(BudgetPeriod.seconds("\(most)\(unit)") == most * size)
        #expect(BudgetPeriod.seconds("\(most + 1)\(unit)") == nil)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let window = try #require(BudgetWindow.window(duration: "\(most)\(unit)", anchor: Date(timeIntervalSince1970: 0), now: now))
        #expect(window.start <= now && now < window.end)
    }
}
