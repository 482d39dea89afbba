import Prometheus

/// The fleet's metrics. Backend labels come only from configured backend names.
extension GatewayMetrics {
    /// Makes a configured backend's series exist (zeros rather than gaps).
    func backendDeclared(_ backend: String) {
        _ = backendUpGauge(backend)
        _ = backendInFlightGauge(backend)
        for outcome in [CallOutcome.ok, .failed, .neutral] { _ = backendRequests(backend, outcome) }
        fleetQueue(depth: 0)
    }

    func backendUp(_ backend: String, _ up: Bool) { backendUpGauge(backend).set(to: up ? 1 : 0) }

    /// Calls holding a slot on `backend` now (read at scrape time: ``Fleet/updateGauges(_:)``).
    func backendInFlight(_ backend: String, _ count: Int) { backendInFlightGauge(backend).set(to: Double(count)) }

    /// A call on `backend` ended.
    func backendCall(_ backend: String, outcome: CallOutcome, duration: Duration) {
        backendRequests(backend, outcome).increment()
        handles.makeDurationHistogram(
            name: "tollgate_backend_request_duration_seconds", labels: [("backend", backend)], buckets: Self.latencyBuckets,
            help: "Calls to one backend, from slot taken to slot released"
        ).record(duration)
    }

    /// Requests waiting for a backend slot.
    func fleetQueue(depth: Int) {
        handles.makeGauge(name: "tollgate_backend_queue_depth", help: "Requests waiting for a free backend slot").set(to: Double(depth))
    }

    /// How long a request waited for its slot.
    func fleetQueueWait(_ duration: Duration) {
        handles.makeDurationHistogram(
            name: "tollgate_backend_queue_wait_seconds", buckets: Self.latencyBuckets, help: "Time requests waited for a free backend slot"
        ).record(duration)
    }

    private func backendUpGauge(_ backend: String) -> Gauge {
        handles.makeGauge(name: "tollgate_backend_up", labels: [("backend", backend)], help: "1 while the backend takes calls (circuit not open)")
    }

    private func backendInFlightGauge(_ backend: String) -> Gauge {
        handles.makeGauge(name: "tollgate_backend_in_flight", labels: [("backend", backend)], help: "Calls holding a slot on the backend")
    }

    private func backendRequests(_ backend: String, _ outcome: CallOutcome) -> Counter {
        handles.makeCounter(
            name: "tollgate_backend_requests_total", labels: [("backend", backend), ("outcome", outcome.rawValue)],
            help: "Calls to each backend by how they ended (ok, failed, neutral)"
        )
    }
}

extension Fleet: ScrapeTimeGauges {
    /// Each configured backend's calls in flight.
    func updateGauges(_ metrics: GatewayMetrics) {
        for (backend, inFlight) in inFlightByBackend() { metrics.backendInFlight(backend, inFlight) }
    }
}
