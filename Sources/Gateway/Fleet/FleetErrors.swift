import Dialects
import HTTPTypes

/// What a client is told when the fleet has no backend for its request: 503 with `Retry-After`, which
/// Anthropic's dialect calls `overloaded_error`.
enum FleetErrors {
    static func dialectError(_ refusal: Fleet.Refusal, model: String) -> DialectError {
        switch refusal {
        case .queueFull:
            DialectError(.overloaded, "Every backend serving `\(model)` is busy and the queue is full; try again shortly.", code: "backends_busy")
        case .queueTimeout:
            DialectError(.overloaded, "Every backend serving `\(model)` stayed busy for the whole queue timeout; try again shortly.", code: "backends_busy")
        case .unavailable:
            DialectError(.overloaded, "No backend serving `\(model)` is up; try again shortly.", code: "backend_unavailable")
        }
    }

    static func gatewayError(_ refusal: Fleet.Refusal, model: String, settings: Fleet.Settings) -> GatewayError {
        var error = GatewayError(dialectError(refusal, model: model))
        // Busy: a slot frees when any call ends; down: the circuit's open period is the soonest a probe goes.
        let seconds = refusal == .unavailable ? max(1, Int((settings.circuitOpen / .seconds(1)).rounded(.up))) : 1
        error.headers[.retryAfter] = String(seconds)
        return error
    }
}
