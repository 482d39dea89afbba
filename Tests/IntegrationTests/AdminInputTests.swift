import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Admin filters and fields must be clean text: a NUL or invalid UTF-8 is a 400 naming the parameter,
/// never a filter PostgreSQL would read as something else (`%00` as the empty string).
@Suite("Admin input text")
struct AdminInputTests {
    @Test("%00 and %FF in /usage, /spend/logs and /key/list filters are a 400 naming the parameter")
    func queryFilters() async throws {
        try await GatewayHarness.run { gateway in
            for path in ["/usage?user_id=", "/spend/logs?user_id=", "/key/list?user_id=", "/spend/logs?api_key=", "/key/list?key_alias="] {
                for bad in ["%00", "%FF", "a%00b", "%C3%28"] {
                    let response = try await gateway.get(path + bad)
                    #expect(response.status == .badRequest, "\(path)\(bad) answered \(response.status)")
                    let parameter = String(path.split(separator: "?")[1].dropLast())
                    #expect(response.openAIError?["param"] as? String == parameter, "\(path)\(bad): \(response.text)")
                }
                // Clean values still work.
                if !path.contains("api_key") { #expect(try await gateway.get(path + "alice%20b").status == .ok, "\(path)") }
            }
        }
    }

    @Test("A NUL in a JSON string of an admin body is a 400")
    func bodyFields() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post("/key/generate", json: #"{"user_id":"a\u0000b"}"#)
            #expect(response.status == .badRequest)
            #expect(response.openAIError?["param"] as? String == "user_id")
            let nested = try await gateway.post("/key/generate", json: #"{"metadata":{"team":"x\u0000"}}"#)
            #expect(nested.status == .badRequest)
            #expect(try await gateway.post("/key/generate", json: #"{"user_id":"clean"}"#).status == .ok)
        }
    }
}
