import Foundation
import GRDB

/// A write transaction handed to `Store.transaction`: what a page of a sync
/// changes (records, counts, cursor) is written through one of these, so it
/// commits together or not at all.
public struct StoreTransaction {
    let db: Database
}

extension Store {
    /// Runs `body` in one write transaction. A thrown error rolls everything back;
    /// database errors come out as `StoreError`, the body's own errors as thrown.
    public func transaction<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        let pool = try pool
        do {
            return try pool.write { db in try body(StoreTransaction(db: db)) }
        } catch let error as DatabaseError {
            throw Self.failure(error)
        }
    }
}
