import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Health")
struct HealthTests {
    @Test("live is 200 without a key; ready reports each dependency")
    func health() async throws {
        try await GatewayHarness.run { gateway in
            let live = try await gateway.get("/health/live", key: "")
            #expect(live.status == .ok)
            #expect(live.requestID != nil)
            let ready = try await gateway.get("/health/ready", key: "")
            #expect(ready.status == .ok)
            #expect(ready.json?["postgres"] as? String == "up")
            #expect(ready.json?["redis"] as? String == "up")
            #expect(ready.json?["ollama"] as? String == "up")
        }
    }

    @Test("ready is 503 and names Ollama when Ollama is down")
    func notReady() async throws {
        try await GatewayHarness.run(configure: { $0.ollama.baseURL = "http://127.0.0.1:9" }) { gateway in
            let ready = try await gateway.get("/health/ready", key: "")
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.json?["ollama"] as? String == "down")
            #expect(ready.json?["postgres"] as? String == "up")
        }
    }
}
