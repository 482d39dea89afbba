import Foundation
import Testing
@testable import Gateway

@Suite("SVGChart")
struct SVGChartTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// 2026-05-01T00:00:00Z.
    static let may1 = Date(timeIntervalSince1970: 1_777_593_600)
    static let day = may1...may1.addingTimeInterval(86_400)

    static func chart(_ kind: SVGChart.Kind = .bars, range: ClosedRange<Date> = day, step: TimeInterval = 3600, zone: TimeZone = utc) -> SVGChart {
        SVGChart(title: "Requests", kind: kind, range: range, step: step, timeZone: zone)
    }

    static func count(_ needle: String, in html: HTML) -> Int {
        html.text.components(separatedBy: needle).count - 1
    }

    @Test func yTicksAreRoundAndCoverTheMaximum() {
        #expect(SVGChart.yTicks(maximum: 7) == [0, 2, 4, 6, 8])
        #expect(SVGChart.yTicks(maximum: 100) == [0, 25, 50, 75, 100])
        for maximum in [1.0, 3, 9.5, 42, 999, 123_456, 7e12] {
            let ticks = SVGChart.yTicks(maximum: maximum)
            #expect(ticks.first == 0)
            #expect(ticks.last! >= maximum, "ticks \(ticks) must reach \(maximum)")
            #expect((2...6).contains(ticks.count), "ticks \(ticks)")
        }
    }

    @Test func axesHaveLabelsAndTicksAtWholeHours() {
        let svg = Self.chart().render([ChartSeries(name: "Requests", points: [ChartPoint(time: Self.may1.addingTimeInterval(7200), value: 7)])])
        // y labels 0…8 and hourly x labels every 4 hours from midnight.
        for label in [">0</text>", ">2</text>", ">8</text>", ">00:00</text>", ">04:00</text>", ">20:00</text>"] {
            #expect(svg.text.contains(label), "missing \(label)")
        }
        #expect(Self.count("<rect class=\"bar", in: svg) == 1)
        #expect(svg.text.contains("role=\"img\""))
        #expect(svg.text.contains("<title>2026-05-01 02:00: 7</title>"))
    }

    @Test func emptyDataStillDrawsAxesAndSaysSo() {
        let svg = Self.chart().render([ChartSeries(name: "Requests", points: [])])
        #expect(svg.text.contains("No data in this period"))
        #expect(Self.count("<rect class=\"bar", in: svg) == 0)
        #expect(svg.text.contains(">00:00</text>"))
        #expect(svg.text.contains(">1</text>"), "an empty chart's y axis runs 0 to 1")
    }

    @Test func onePointIsOneBarOfFullHeightAndOneLineDot() {
        let point = ChartPoint(time: Self.may1, value: 5)
        let bars = Self.chart().render([ChartSeries(name: "Requests", points: [point])])
        #expect(Self.count("<rect class=\"bar", in: bars) == 1)
        // The bar starts at the left edge of the plot (x = 52) and reaches the top tick (5).
        #expect(bars.text.contains("x=\"52\""))
        let lines = Self.chart(.lines).render([ChartSeries(name: "p50", points: [point]), ChartSeries(name: "p95", points: [])])
        #expect(Self.count("<circle class=\"dot", in: lines) == 1)
        #expect(lines.text.contains("class=\"key series-1\">p95</span>"), "a legend names every series")
    }

    @Test func largeNumbersAreWrittenCompactly() {
        let svg = Self.chart().render([ChartSeries(name: "Tokens", points: [ChartPoint(time: Self.may1, value: 7_654_321_000_000)])])
        #expect(svg.text.contains(">8T</text>") || svg.text.contains(">10T</text>"), "\(svg.text)")
        #expect(!svg.text.contains("e+"), "no exponent notation on the axis")
        #expect(UIFormat.compact(1_234) == "1.2k")
        #expect(UIFormat.compact(3_400_000) == "3.4M")
        #expect(UIFormat.compact(999) == "999")
        #expect(UIFormat.compact(0.25) == "0.25")
    }

    @Test func badValuesAndPointsOutsideTheWindowAreLeftOut() {
        let points = [
            ChartPoint(time: Self.may1, value: .nan), ChartPoint(time: Self.may1, value: .infinity), ChartPoint(time: Self.may1, value: -3),
            ChartPoint(time: Self.may1.addingTimeInterval(-3600), value: 9), ChartPoint(time: Self.may1.addingTimeInterval(3600), value: 2),
        ]
        let svg = Self.chart().render([ChartSeries(name: "Requests", points: points)])
        #expect(Self.count("<rect class=\"bar", in: svg) == 1)
        #expect(!svg.text.contains("nan") && !svg.text.contains("inf"))
    }

    @Test func ticksFollowTheTimeZone() {
        // India is UTC+05:30: its whole hours fall at :30 UTC, and midnight there is 18:30 UTC.
        let kolkata = TimeZone(identifier: "Asia/Kolkata")!
        let utcTicks = Self.chart().xTicks()
        let indiaTicks = Self.chart(zone: kolkata).xTicks()
        #expect(utcTicks.first?.time == Self.may1)
        #expect(utcTicks.first?.label == "00:00")
        let first = try? #require(indiaTicks.first)
        #expect(first.map { Int($0.time.timeIntervalSince(Self.may1)) % 3600 } == 1800, "India's ticks are at half past UTC hours")
        #expect(indiaTicks.contains { $0.label == "00:00" && $0.time == Self.may1.addingTimeInterval(18.5 * 3600) })
        // Over a month the ticks are days, labelled month-day, at local midnights.
        let month = Self.may1...Self.may1.addingTimeInterval(30 * 86_400)
        let days = Self.chart(range: month, step: 86_400, zone: kolkata).xTicks()
        #expect(days.allSatisfy { $0.label.count == 5 && $0.label.hasPrefix("05-") || $0.label.hasPrefix("06-") })
        #expect(days.allSatisfy { Int($0.time.timeIntervalSince1970) % 86_400 == 86_400 - 19_800 }, "local midnight is 18:30 UTC")
        // The tooltips use the zone too.
        let svg = Self.chart(zone: kolkata).render([ChartSeries(name: "Requests", points: [ChartPoint(time: Self.may1, value: 1)])])
        #expect(svg.text.contains("<title>2026-05-01 05:30: 1</title>"))
    }

    @Test func titlesAndNamesAreEscaped() {
        let chart = SVGChart(title: "<script>alert(1)</script>", kind: .lines, range: Self.day, step: 3600, timeZone: Self.utc)
        let svg = chart.render([ChartSeries(name: "<b>a</b>", points: []), ChartSeries(name: "x\"y", points: [])])
        #expect(!svg.text.contains("<script>"))
        #expect(!svg.text.contains("<b>"))
        #expect(svg.text.contains("&lt;script&gt;"))
        #expect(svg.text.contains("x&quot;y"))
    }
}

@Suite("HTML escaping")
struct HTMLEscapingTests {
    @Test func interpolatedTextIsEscapedAndHTMLIsNot() {
        let user = "<script>alert('x')</script>&\""
        let inner: HTML = "<b>\(user)</b>"
        let page: HTML = "<p title=\"\(user)\">\(inner)</p>"
        #expect(page.text == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\"><b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;</b></p>")
        let missing: String? = nil
        #expect(("<i>\(missing)</i>" as HTML).text == "<i></i>")
    }

    @Test func linksPercentEncodeEveryValue() {
        let link = UILayout.link("/ui/log", [("user_id", "a&b=c <d>"), ("model", nil), ("status", "")])
        #expect(link == "/ui/log?user_id=a%26b%3Dc%20%3Cd%3E")
        #expect(UILayout.path("/ui/users", "../x/é") == "/ui/users/..%2Fx%2F%C3%A9")
    }
}
