import Foundation
import JSON

/// Which answer a Bulk API 2.0 job's body is part of. Each carries the keys Salesforce sends for it, in its order,
/// as recorded (forcedotcom/sf-fx-runtime-java, `sf-fx-runtime-java-sdk-rest-api/src/test/resources/mappings/bulk-*`
/// at 855e8ef6): creating a job answers its settings; a state change (close, abort) only the job's facts; the job's
/// info adds `jobType` and its counts; a list holds each job with its `jobType` and settings, no counts.
enum BulkJobView {
    case created, stateChange, info, listed

    /// The body, dates to the whole second as Salesforce keeps a job's (`…:51.000+0000`).
    func body(id: String, operation: String, object: String, createdBy: String, created: Date, modified: Date,
              state: String, version: String, jobType: String, settings: [(String, JSONValue)] = [],
              contentURL: String? = nil, counts: [(String, JSONValue)]) -> JSONValue {
        func stamp(_ date: Date) -> JSONValue {
            .string(SimDates.format(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))))
        }
        var pairs: [(String, JSONValue)] = [
            ("id", .string(id)), ("operation", .string(operation)), ("object", .string(object)),
            ("createdById", .string(createdBy)), ("createdDate", stamp(created)), ("systemModstamp", stamp(modified)),
            ("state", .string(state)),
        ] + settings + [
            ("concurrencyMode", .string("Parallel")), ("contentType", .string("CSV")),
            // A double, written `53.0` as Salesforce writes it.
            ("apiVersion", .double(Double(version) ?? 0)),
        ]
        switch self {
        case .stateChange:
            break
        case .created:
            if let contentURL { pairs.append(("contentUrl", .string(contentURL))) }
            pairs += [("lineEnding", .string("LF")), ("columnDelimiter", .string("COMMA"))]
        case .listed:
            if let contentURL { pairs.append(("contentUrl", .string(contentURL))) }
            pairs += [("jobType", .string(jobType)), ("lineEnding", .string("LF")), ("columnDelimiter", .string("COMMA"))]
        case .info:
            pairs += [("jobType", .string(jobType)), ("lineEnding", .string("LF")), ("columnDelimiter", .string("COMMA"))]
                + counts
        }
        return .object(pairs)
    }
}
