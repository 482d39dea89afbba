import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// `/metrics` needs no key, so nothing a client sends may appear there, and made-up names add no series.
@Suite("Metric labels")
struct MetricsLabelTests {
    @Test("300 made-up model names and a key sent as the model: only known names and 'other' are labels")
    func modelLabelsAreBounded() async throws {
        try await GatewayHarness.run { gateway in
            let pasted = "sk-" + String(repeating: "7", count: 40)
            #expect(try await gateway.chat(key: GatewayHarness.masterKey).status == .ok)
            for index in 0..<300 {
                _ = try await gateway.chat(key: GatewayHarness.masterKey, model: "made-up-\(index)-\(UUID().uuidString.prefix(8))")
            }
            _ = try await gateway.chat(key: GatewayHarness.masterKey, model: pasted)
            // Let the usage recorder (which feeds the request metrics) catch up.
            _ = try await gateway.requestLog(count: 302)
            let text = try await gateway.get("/metrics", key: "").text
            #expect(!text.contains(pasted))
            #expect(!text.contains("7777777777"))
            #expect(!text.contains("made-up-"))
            let models = Set(Metrics.series(text, "tollgate_requests_total").compactMap { line -> String? in
                guard let range = line.range(of: #"model=""#) else { return nil }
                return String(line[range.upperBound...].prefix { $0 != "\"" })
            })
            #expect(models.contains("other"))
            #expect(models.isSubset(of: ["other", "gpt-4o-mini", "missing-alias", "llama3.2:latest"]), "\(models)")
        }
    }
}
