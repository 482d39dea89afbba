import Dialects
import Foundation
import Hummingbird

/// The dashboard's pages. Each reads through the admin services in ``DashboardRoutes`` and renders
/// with ``UILayout``; the pages live in one extension per section (`UIPages+Keys.swift`, …).
struct UIPages: Sendable {
    let routes: DashboardRoutes

    func render(_ title: String, section: String, _ page: DashboardRoutes.Page, _ body: HTML) -> Response {
        UISecurity.page(UILayout.page(title: title, current: section, csrf: page.csrf, body))
    }

    /// A path parameter, percent-decoded (a user id may hold any character).
    static func pathValue(_ page: DashboardRoutes.Page, _ name: String) throws -> String {
        let raw = try page.parameters.require(name)
        guard let value = raw.removingPercentEncoding else { throw GatewayError(.invalidRequest, "The path is not valid percent-encoded text.") }
        return value
    }

    /// A page-number parameter (1 when absent), refused with a 400 when not a positive integer up to a million.
    static func pageNumber(_ page: DashboardRoutes.Page) throws -> Int {
        try UsageParameters(query: page.query).integer("page", in: 1...1_000_000, default: 1)
    }

    /// "Previous" and "Next" links for offset paging.
    static func pager(path: String, query: [(String, String?)], page: Int, totalPages: Int) -> HTML {
        guard totalPages > 1 else { return "" }
        let previous: HTML = page > 1 ? "<a href=\"\(UILayout.link(path, query + [("page", String(page - 1))]))\">← Previous</a>" : ""
        let next: HTML = page < totalPages ? "<a href=\"\(UILayout.link(path, query + [("page", String(page + 1))]))\">Next →</a>" : ""
        return "<nav class=\"pager\">\(previous)<span>Page \(String(page)) of \(String(totalPages))</span>\(next)</nav>"
    }
}
