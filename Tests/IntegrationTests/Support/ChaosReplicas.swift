import Foundation
import Locking

/// The two replicas by name; the restarted B replaces the killed one, which is kept (its log) until the end.
final class ChaosReplicas: Sendable {
    private let storage = Locked<(current: [String: GatewayProcess], retired: [(String, GatewayProcess)])>(([:], []))

    func set(_ name: String, _ gateway: GatewayProcess) {
        storage.withLock { state in
            if let old = state.current[name] { state.retired.append((name + " (killed)", old)) }
            state.current[name] = gateway
        }
    }

    func get(_ name: String) throws -> GatewayProcess {
        guard let gateway = storage.withLock({ $0.current[name] }) else { throw HTTP.Failure(message: "no replica \(name)") }
        return gateway
    }

    func logs() -> [(String, String)] {
        storage.withLock { state in state.retired.map { ($0.0, $0.1.log) } + state.current.sorted { $0.key < $1.key }.map { ($0.key, $0.value.log) } }
    }

    func stopAll() async {
        for gateway in storage.withLock({ Array($0.current.values) + $0.retired.map(\.1) }) { await gateway.stop() }
    }
}
