import Foundation
import Hummingbird

/// The admin layer's services, made once and shared by both faces: the REST admin API (``register(on:maxBodyBytes:)``)
/// and the dashboard (``DashboardRoutes``).
struct AdminServices: Sendable {
    let keys: KeyAdminService
    let users: UserAdminService
    let teams: TeamAdminService
    let customers: CustomerAdminService

    init(store: KeyStore, events: KeyEvents, catalog: ModelCatalog, now: @escaping @Sendable () -> Date) {
        keys = KeyAdminService(store: store, events: events, catalog: catalog)
        users = UserAdminService(store: UserStore(keys: store), keys: keys, events: events)
        teams = TeamAdminService(store: TeamStore(keys: store), events: events, catalog: catalog, now: now)
        customers = CustomerAdminService(store: CustomerStore(keys: store), events: events)
    }

    /// Registers `/key/*`, `/user/*`, `/team/*` and `/customer/*` on the admin group.
    func register(on group: RouterGroup<GatewayRequestContext>, maxBodyBytes: Int) {
        KeyAdminRoutes(service: keys, maxBodyBytes: maxBodyBytes).register(on: group)
        UserAdminRoutes(service: users, maxBodyBytes: maxBodyBytes).register(on: group)
        TeamAdminRoutes(service: teams, maxBodyBytes: maxBodyBytes).register(on: group)
        CustomerAdminRoutes(service: customers, maxBodyBytes: maxBodyBytes).register(on: group)
    }
}
