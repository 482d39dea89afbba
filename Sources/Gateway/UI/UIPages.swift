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

/// Reading the JSON rows of the usage reports and the request log as display text.
extension Dictionary where Key == String, Value == Any {
    func text(_ name: String) -> String? {
        switch self[name] {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    func integer(_ name: String) -> Int64? { (self[name] as? NSNumber)?.int64Value }

    func flag(_ name: String) -> Bool { (self[name] as? NSNumber)?.boolValue ?? false }

    /// A value as compact JSON text (metadata, payloads).
    func jsonText(_ name: String) -> String? {
        guard let value = self[name], !(value is NSNull) else { return nil }
        if let text = value as? String { return text }
        if let raw = value as? RawJSON { return raw.text }
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}
