import Testing
@testable import Gateway

/// The model label's function is called on every request: its cost must not grow with use.
@Suite("Metric model labels")
struct MetricsModelLabelTests {
    @Test("300,000 labellings: the same answers, and the last calls cost what the first did")
    func labellingDoesNotGrow() {
        let metrics = GatewayMetrics()
        metrics.labelModels { $0 == "llama3.2" ? "llama3.2:latest" : nil }
        let clock = ContinuousClock()
        let first = clock.measure {
            for _ in 0..<1_000 { #expect(metrics.modelLabel("llama3.2") == "llama3.2:latest") }
        }
        // When the function was stored bare as the lock's state, each call wrapped it in two more
        // thunks: here that overflowed the stack (a crash), and before that made each call slower.
        for _ in 0..<300_000 { _ = metrics.modelLabel("llama3.2") }
        let last = clock.measure {
            for _ in 0..<1_000 { #expect(metrics.modelLabel("nope") == GatewayMetrics.other) }
        }
        #expect(last < first * 20 + .milliseconds(50), "first 1,000: \(first), last 1,000: \(last)")
    }
}
