import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import Testing

/// A gateway in front of several in-process fake Ollamas, each with its own models, loaded models and
/// behavior; health and discovery poll fast so tests see changes within a second.
enum FleetHarness {
    struct Backend: Sendable {
        var name: String
        var models: [String] = ["llama3.2"]
        var loaded: [String] = []
        var maxParallel = 4
        var behavior = FakeOllamaBehavior()
    }

    static func run(
        _ backends: [Backend], configure: @escaping @Sendable (inout GatewayConfig) -> Void = { _ in }, reloads: ConfigReloads = ConfigReloads(),
        _ body: @Sendable (GatewayHarness, [String: FakeOllama]) async throws -> Void
    ) async throws {
        var fakes: [String: FakeOllama] = [:]
        for backend in backends {
            fakes[backend.name] = try await FakeOllama.start(models: FakeModel.named(backend.models), loaded: backend.loaded, behavior: backend.behavior)
        }
        let started = fakes
        defer { Task { for fake in started.values { await fake.stop() } } }
        try await GatewayHarness.run(
            configure: { config in
                config.ollama.backends = backends.map { .init(name: $0.name, url: started[$0.name]!.baseURL, maxParallel: $0.maxParallel) }
                fast(&config)
                configure(&config)
            }, reloads: reloads
        ) { gateway in
            try await body(gateway, started)
        }
        for fake in started.values { await fake.stop() }
    }

    /// Health every 100 ms, listings every 300 ms, a circuit open for 500 ms.
    static func fast(_ config: inout GatewayConfig) {
        config.ollama.healthIntervalMs = 100
        config.ollama.discoveryIntervalMs = 300
        // Generous: the test machine may be loaded, and a listing that times out empties nothing but is late.
        config.ollama.probeTimeoutMs = 3_000
        config.ollama.circuitOpenMs = 500
    }

    static func chatJSON(_ model: String, stream: Bool = false, messages: String = #"[{"role":"user","content":"hi"}]"#) -> String {
        #"{"model":"\#(model)","stream":\#(stream),"messages":\#(messages)}"#
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
    static func eventually(within timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// The `backends` entry named `name` in `/health/ready`.
    static func backendStatus(_ gateway: GatewayHarness, _ name: String) async throws -> String? {
        let ready = try await gateway.get("/health/ready", key: "")
        let backends = ready.json?["backends"] as? [[String: Any]] ?? []
        return backends.first { $0["name"] as? String == name }?["status"] as? String
    }
}
