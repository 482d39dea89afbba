import Foundation
import Postgres
import Testing

/// The text-format encoding of `COPY` rows, without a server (the round trip is in `PostgresCopyTests`).
@Suite("PostgresCopyRows")
struct PostgresCopyRowsTests {
    private func encoded(_ build: (inout PostgresCopyRows) -> Void) -> String {
        var rows = PostgresCopyRows()
        build(&rows)
        return String(decoding: rows.bytes, as: UTF8.self)
    }

    @Test func fieldsAreTabSeparatedAndRowsEndWithANewline() {
        let text = encoded {
            $0.append("a")
            $0.append(1)
            $0.endRow()
            $0.append("b")
            $0.append(nil as Int?)
            $0.endRow()
        }
        #expect(text == "a\t1\nb\t\\N\n")
    }

    @Test func escapesEverythingThatCouldEndAFieldOrARow() {
        let text = encoded {
            $0.append("back\\slash\ttab\nnew\rreturn")
            $0.append(#"\N"#)
            $0.append(#"\."#)
            $0.endRow()
        }
        #expect(text == #"back\\slash\ttab\nnew\rreturn\#t\\N\#t\\.\#n"#)
    }

    @Test func dropsNULCharacters() {
        #expect(encoded { $0.append("a\u{0}b"); $0.endRow() } == "ab\n")
    }

    @Test func numbersBooleansAndTimestamps() {
        let text = encoded {
            $0.append(Int64.min)
            $0.append(-42)
            $0.append(0 as Int64?)
            $0.append(true)
            $0.append(false)
            $0.append(0.1)
            $0.append(Double.infinity)
            $0.append(-Double.infinity)
            $0.append(Double.nan)
            $0.append(Date(timeIntervalSince1970: 1_700_000_000.25))
            $0.append(Date(timeIntervalSince1970: -0.5))
            $0.endRow()
        }
        let expected = [
            "-9223372036854775808", "-42", "0", "t", "f", "0.1", "Infinity", "-Infinity", "NaN",
            "2023-11-14 22:13:20.250000+00", "1969-12-31 23:59:59.500000+00",
        ]
        #expect(text == expected.joined(separator: "\t") + "\n")
    }
}
