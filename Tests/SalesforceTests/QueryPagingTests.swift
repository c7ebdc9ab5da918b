import Testing
@testable import SalesforceModel

/// Issue 18 §9: a server that never says `done` stops a query walk instead of looping.
@Suite struct QueryPagingTests {
    struct Page: Sendable, CustomStringConvertible {
        var records: Int
        var done: Bool
        var next: String?
        var description: String { "\(records) \(done) \(next ?? "-")" }
    }

    @Test(arguments: [
        // (totalSize, pages, URLs followed, or the word in the error)
        (5, [Page(records: 2, done: false, next: "/q-2"), Page(records: 2, done: false, next: "/q-4"),
             Page(records: 1, done: true, next: nil)], "/q-2 /q-4", nil),
        (0, [Page(records: 0, done: true, next: nil)], "", nil),
        (4, [Page(records: 2, done: true, next: "/ignored")], "", nil),
        (9, [Page(records: 2, done: false, next: "/q-2"), Page(records: 2, done: false, next: "/q-2")], "/q-2", "same next page"),
        (3, [Page(records: 2, done: false, next: "/q-2"), Page(records: 2, done: false, next: "/q-4")], "/q-2", "said has 3"),
        (1_000_000, [Page(records: 0, done: false, next: "/a"), Page(records: 0, done: false, next: "/b"),
                     Page(records: 0, done: false, next: "/a")], "/a /b", "same next page"),
    ] as [(Int, [Page], String, String?)])
    func walks(total: Int, pages: [Page], followed: String, failure: String?) {
        var paging = QueryPaging(totalSize: total)
        var urls: [String] = []
        do throws(SalesforceError) {
            for page in pages {
                guard let url = try paging.next(records: page.records, done: page.done, nextRecordsUrl: page.next) else { break }
                urls.append(url)
            }
            #expect(failure == nil, "expected a failure with '\(failure ?? "")'")
        } catch {
            #expect(error.kind == .protocolViolation)
            #expect(failure.map { error.message.contains($0) } == true, "\(error.message)")
        }
        #expect(urls.joined(separator: " ") == followed)
    }
}
