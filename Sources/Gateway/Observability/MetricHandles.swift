import Locking
import Prometheus

/// The registry's metric objects, remembered by name and label values, with the registry's own `make…`
/// signatures.
///
/// `PrometheusCollectorRegistry.make…` validates the name and help text, sorts and joins the labels and
/// takes its lock on every call, and each model call records several series: that lookup was about 3%
/// of a call's instructions, with the string work around it more (bench/README.md). A remembered handle
/// costs one hash of the name and label values under one lock.
///
/// Bounded: label values come from small fixed sets (``GatewayMetrics``); past ``capacity`` remembered
/// series the registry is asked each time, slower but still correct.
final class MetricHandles: Sendable {
    /// Remembered series per kind at most.
    static let capacity = 4096

    private struct Key: Hashable {
        var name: String
        /// The label values; a metric's label names never change, so they need no place in the key.
        var values: [String]

        init(_ name: String, _ labels: [(String, String)]) {
            self.name = name
            self.values = labels.map(\.1)
        }
    }

    private let registry: PrometheusCollectorRegistry
    private let counters = Locked<[Key: Counter]>([:])
    private let gauges = Locked<[Key: Gauge]>([:])
    private let histograms = Locked<[Key: DurationHistogram]>([:])

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func makeCounter(name: String, labels: [(String, String)] = [], help: String) -> Counter {
        remembered(counters, Key(name, labels)) {
            labels.isEmpty ? registry.makeCounter(name: name, help: help) : registry.makeCounter(name: name, labels: labels, help: help)
        }
    }

    func makeGauge(name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        remembered(gauges, Key(name, labels)) {
            labels.isEmpty ? registry.makeGauge(name: name, help: help) : registry.makeGauge(name: name, labels: labels, help: help)
        }
    }

    func makeDurationHistogram(name: String, labels: [(String, String)] = [], buckets: [Duration], help: String) -> DurationHistogram {
        remembered(histograms, Key(name, labels)) {
            labels.isEmpty
                ? registry.makeDurationHistogram(name: name, buckets: buckets, help: help)
                : registry.makeDurationHistogram(name: name, labels: labels, buckets: buckets, help: help)
        }
    }

    /// The handle `table` remembers for `key`, else `make()`'s, remembered while there is room.
    private func remembered<Metric>(_ table: Locked<[Key: Metric]>, _ key: Key, make: () -> Metric) -> Metric {
        if let known = table.withLock({ $0[key] }) { return known }
        let made = make()
        table.withLock { handles in
            if handles.count < Self.capacity { handles[key] = made }
        }
        return made
    }
}
