import Foundation
import GRDB

/// Fills a new org with deterministic, realistic data: the same seed gives the
/// same records. Includes the edge cases sync code must survive: unicode,
/// very long values, nulls, missing accounts, deceased and opted-out contacts.
final class DataGenerator {
    let org: Org
    var random: SeededRandom

    init(org: Org) {
        self.org = org
        self.random = SeededRandom(seed: org.configuration.seed &* 0x5851_F42D_4C95_7F2D &+ 7)
    }

    static let firstNames = ["Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Mia", "James",
                             "Zoë", "José", "Łukasz", "Siobhán", "Björn", "Renée", "Chloé", "Mateo", "Aiyana", "Kenji",
                             "Priya", "Wei", "Fatima", "Dmitri", "Ngozi", "Søren", "Ana María", "Jean-Luc", "Maëlle",
                             "Hiroshi", "Isabella", "Lucas", "Ava", "Ethan", "Harper", "Benjamin", "Evelyn", "Henry",
                             "Abigail", "Alexander"]
    static let lastNames = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
                            "Martinez", "O'Brien", "Müller", "Nguyen", "García Márquez", "Kowalski", "Østergaard",
                            "van der Berg", "D'Angelo", "Nakamura", "Okafor", "Ivanova", "Chen", "Patel", "Kim",
                            "Schmidt", "Rossi", "Dubois", "Andersson", "Silva", "Cohen", "Taylor", "Anderson", "Thomas",
                            "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "王", "Χατζηδάκης"]
    static let nicknames = ["Liz", "Bob", "Bill", "Kate", "Mike", "Jen", "Tony", "Sasha", "Alex", "Sam", "Bea", "Chuck"]
    static let cities: [(String, String, String, String)] = [
        ("San Francisco", "CA", "94105", "United States"), ("Austin", "TX", "78701", "United States"),
        ("New York", "NY", "10001", "United States"), ("Chicago", "IL", "60601", "United States"),
        ("Toronto", "ON", "M5H 2N2", "Canada"), ("London", "", "EC1A 1BB", "United Kingdom"),
        ("München", "BY", "80331", "Germany"), ("São Paulo", "SP", "01000-000", "Brazil"),
        ("Zürich", "ZH", "8001", "Switzerland"), ("Tokyo", "", "100-0001", "Japan"),
        ("Denver", "CO", "80202", "United States"), ("Seattle", "WA", "98101", "United States"),
    ]
    static let streets = ["Market St", "Main St", "Oak Ave", "Congress Ave", "Broadway", "King St W", "High Street",
                          "Maximilianstraße", "Avenida Paulista", "Bahnhofstrasse", "Pine St", "Elm Street"]
    static let companyWords = (["Blue", "Summit", "Harbor", "Northwind", "Evergreen", "Pioneer", "Granite", "Silver",
                                "Bright", "Crescent", "Atlas", "Cedar"],
                               ["Logistics", "Analytics", "Health", "Foods", "Capital", "Energy", "Media", "Robotics",
                                "Partners", "Outfitters", "Labs", "Systems"],
                               ["Inc.", "LLC", "Ltd.", "GmbH", "Co.", "Group", "S.A.", ""])
    static let titles = ["CEO", "VP of Sales", "Marketing Manager", "Account Executive", "CFO", "Engineer",
                         "Head of Customer Success", "Director of Operations", "Buyer", "Office Manager"]
    static let owners = [("Jordan", "Reyes"), ("Priya", "Nair"), ("Sam", "O'Connor"), ("Mei", "Chen"), ("Lukas", "Müller")]
    static let interests = ["Golf", "Travel", "Wine", "Tennis", "Art", "Sailing"]
    static let stages = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
                         "Closed Won", "Closed Lost"]

    func populate() throws {
        let config = org.configuration
        // The admin has the permissions a bundle's user had (`--from-bundle`), else all.
        org.addUser(username: config.adminUsername, password: config.adminPassword, firstName: "Avery",
                    lastName: "Admin", apiEnabled: config.shape?.apiEnabled ?? true, viewAllData: config.shape?.viewAllData ?? true)
        var ownerIDs = [org.users[0].id]
        for (first, last) in Self.owners {
            let user = org.addUser(username: "\(first.lowercased()).\(last.lowercased().filter(\.isLetter))@sfsim.example.com",
                                   password: config.adminPassword, firstName: first, lastName: last)
            ownerIDs.append(user.id)
        }
        org.mintAdminToken()
        let now = org.clock.now()
        let store = org.store
        try store.db.write { db in
            try store.insertStandard(StandardObjects.organization, [
                "Id": org.orgID, "Name": "sfsim Demo Org", "OrganizationType": config.edition, "IsSandbox": 0,
                "InstanceName": "SIM1", "TrialExpirationDate": nil, "NamespacePrefix": nil,
            ], in: db)
            for (index, (name, object, active)) in [("Standard_Lead_Duplicate_Rule", "Lead", config.leadDuplicateRule),
                                                     ("Standard_Contact_Duplicate_Rule", "Contact", true)].enumerated() {
                try store.insertStandard(StandardObjects.duplicateRule, [
                    "Id": RecordID.make(prefix: "0Bm", number: index + 1), "DeveloperName": name,
                    "MasterLabel": name.replacingOccurrences(of: "_", with: " "), "SobjectType": object,
                    "IsActive": active ? 1 : 0, "NamespacePrefix": nil,
                ], in: db)
            }
            for rule in Org.leadAssignmentRules {
                try store.insertStandard(StandardObjects.assignmentRule, [
                    "Id": rule.id, "Name": rule.name, "SobjectType": "Lead", "Active": rule.active ? 1 : 0,
                    "CreatedDate": SimDates.format(now), "CreatedById": org.users[0].id, "LastModifiedDate": SimDates.format(now),
                    "LastModifiedById": org.users[0].id, "SystemModstamp": SimDates.format(now),
                ], in: db)
            }
            let accountIDs = try insertMany(stored(StandardObjects.account), count: config.accounts, db: db, owners: ownerIDs) { row, index in
                // By position, not drawn: the generator's random stream (and every record after) stays as it was.
                row["Tier__c"] = ["Gold", "Silver", "Bronze", nil][index % 4]
                let (city, state, zip, country) = random.pick(Self.cities)
                let name = company()
                row["Name"] = name
                row["Type"] = random.pick(["Prospect", "Customer - Direct", "Customer - Channel", "Partner", nil])
                row["Industry"] = random.pick(StandardObjects.industries.map(\.value) + [nil])
                row["Phone"] = phone()
                row["Website"] = "https://www.\(name.lowercased().filter { $0.isLetter && $0.isASCII }).example.com"
                row["AnnualRevenue"] = random.chance(0.7) ? Double(random.int(1...500) * 100_000) : nil
                row["NumberOfEmployees"] = random.chance(0.8) ? random.int(1...50_000) : nil
                row["BillingStreet"] = "\(random.int(1...999)) \(random.pick(Self.streets))"
                row["BillingCity"] = city
                row["BillingState"] = state.isEmpty ? nil : state
                row["BillingPostalCode"] = zip
                row["BillingCountry"] = country
                row["OwnerId"] = random.pick(ownerIDs)
            }
            _ = try insertMany(stored(StandardObjects.contact), count: config.contacts, db: db, owners: ownerIDs) { row, index in
                let first = random.pick(Self.firstNames)
                let last = random.pick(Self.lastNames)
                row["FirstName"] = random.chance(0.97) ? first : nil
                row["LastName"] = last
                row["Name"] = [row["FirstName"] ?? nil, last].compactMap { $0 as? String }.joined(separator: " ")
                row["Salutation"] = random.chance(0.4) ? random.pick(["Mr.", "Ms.", "Mrs.", "Dr.", "Mx."]) : nil
                row["AccountId"] = accountIDs.isEmpty || random.chance(0.08) ? nil : random.pick(accountIDs)
                row["OwnerId"] = random.pick(ownerIDs)
                row["Email"] = random.chance(0.92) ? email(first, last, index) : nil
                row["Phone"] = random.chance(0.8) ? phone() : nil
                row["MobilePhone"] = random.chance(0.5) ? phone() : nil
                row["HomePhone"] = random.chance(0.2) ? phone() : nil
                row["OtherPhone"] = random.chance(0.05) ? phone() : nil
                row["AssistantPhone"] = random.chance(0.05) ? phone() : nil
                row["Fax"] = random.chance(0.05) ? phone() : nil
                row["Preferred_Phone__c"] = random.chance(0.1) ? phone() : nil
                row["Title"] = random.chance(0.02)
                    ? String(repeating: "Senior Principal Associate Vice President ", count: 4).prefix(128).description
                    : (random.chance(0.85) ? random.pick(Self.titles) : nil)
                row["Department"] = random.chance(0.3) ? random.pick(["Sales", "Finance", "Operations", "IT"]) : nil
                let (city, state, zip, country) = random.pick(Self.cities)
                if random.chance(0.85) {
                    row["MailingStreet"] = random.chance(0.1)
                        ? "\(random.int(1...999)) \(random.pick(Self.streets))\nSuite \(random.int(100...999))"
                        : "\(random.int(1...999)) \(random.pick(Self.streets))"
                    row["MailingCity"] = city
                    row["MailingState"] = state.isEmpty ? nil : state
                    row["MailingPostalCode"] = zip
                    row["MailingCountry"] = country
                }
                row["Birthdate"] = random.chance(0.7) ? date(yearsBack: 20...80) : nil
                row["Nickname__c"] = random.chance(0.2) ? random.pick(Self.nicknames) : (random.chance(0.02) ? "" : nil)
                let deceased = random.chance(0.02)
                row["Deceased__c"] = deceased ? 1 : 0
                row["Deceased_Date__c"] = deceased && random.chance(0.5) ? date(yearsBack: 0...3) : nil
                row["Anniversary__c"] = random.chance(0.3) ? date(yearsBack: 1...40) : nil
                row["Review_Date__c"] = random.chance(0.4) ? date(yearsBack: -1...1) : nil
                row["Last_Meeting__c"] = random.chance(0.3) ? SimDates.format(now.addingTimeInterval(-Double(random.int(0...90 * 86_400)))) : nil
                row["Segment__c"] = random.chance(0.6) ? random.pick(["GOLD", "SILVER", "BRONZE"]) : nil
                if random.chance(0.5) {
                    let count = random.int(1...3)
                    var picked: [String] = []
                    while picked.count < count {
                        let item = random.pick(Self.interests)
                        if !picked.contains(item) { picked.append(item) }
                    }
                    row["Interests__c"] = picked.joined(separator: ";")
                }
                row["HasOptedOutOfEmail"] = random.chance(0.1) ? 1 : 0
                row["HasOptedOutOfFax"] = 0
                // Every 37th with an email has bounced (no random draw: the rest of the data stays as seeded).
                let bounced = ((row["Email"] ?? nil) as? String) != nil && index % 37 == 5
                row["IsEmailBounced"] = bounced ? 1 : 0
                row["EmailBouncedReason"] = bounced ? "550 5.1.1 The email account does not exist" : nil
                row["EmailBouncedDate"] = bounced ? SimDates.format(now.addingTimeInterval(-Double(index % 180) * 86_400)) : nil
                row["DoNotCall"] = random.chance(0.05) ? 1 : 0
                row["LeadSource"] = random.chance(0.5) ? random.pick(["Web", "Phone Inquiry", "Partner Referral", "Other"]) : nil
                row["Description"] = random.chance(0.01) ? String(repeating: "Long note with ünïcödé and \"quotes\". ", count: 120) : nil
                let nickname = (row["Nickname__c"] ?? nil) as? String ?? ""
                row["Display_Name__c"] = ((nickname.isEmpty ? (row["FirstName"] ?? nil) as? String ?? "" : nickname) + " " + last)
                    .trimmingCharacters(in: .whitespaces)
            }
            _ = try insertMany(stored(StandardObjects.lead), count: config.leads, db: db, owners: ownerIDs) { row, index in
                let first = random.pick(Self.firstNames)
                let last = random.pick(Self.lastNames)
                row["FirstName"] = first
                row["LastName"] = last
                row["Name"] = "\(first) \(last)"
                row["Company"] = company()
                row["Email"] = random.chance(0.95) ? email(first, last, index + 1_000_000) : nil
                row["Phone"] = random.chance(0.6) ? phone() : nil
                row["Title"] = random.chance(0.7) ? random.pick(Self.titles) : nil
                row["Status"] = random.pick(StandardObjects.leadStatuses.map(\.value))
                row["LeadSource"] = random.chance(0.6) ? random.pick(["Web", "Phone Inquiry", "Purchased List"]) : nil
                row["Industry"] = random.chance(0.5) ? random.pick(StandardObjects.industries.map(\.value)) : nil
                row["Rating"] = random.chance(0.4) ? random.pick(["Hot", "Warm", "Cold"]) : nil
                let (city, state, zip, country) = random.pick(Self.cities)
                row["City"] = city
                row["State"] = state.isEmpty ? nil : state
                row["PostalCode"] = zip
                row["Country"] = country
                row["OwnerId"] = random.pick(ownerIDs)
                row["HasOptedOutOfEmail"] = 0
                row["DoNotCall"] = 0
                row["IsConverted"] = 0
                row["IsUnreadByOwner"] = index % 5 == 0 ? 1 : 0
                row["Newsletter__c"] = random.chance(0.3) ? 1 : 0
            }
            _ = try insertMany(stored(StandardObjects.opportunity), count: config.opportunities, db: db, owners: ownerIDs) { row, _ in
                row["AccountId"] = accountIDs.isEmpty ? nil : random.pick(accountIDs)
                row["Name"] = "\(company()) - \(random.pick(["Renewal", "Expansion", "New Business", "Pilot"]))"
                row["StageName"] = random.pick(Self.stages)
                let stage = StandardObjects.stage(row["StageName"].flatMap { $0 as? String })
                row["IsClosed"] = stage.closed ? 1 : 0
                row["IsWon"] = stage.won ? 1 : 0
                row["ForecastCategory"] = stage.forecast
                row["CloseDate"] = date(yearsBack: -1...1)
                row["Amount"] = random.chance(0.9) ? Double(random.int(1...2000)) * 500 : nil
                row["Probability"] = Double(random.int(0...10) * 10)
                row["OwnerId"] = random.pick(ownerIDs)
            }
            if let shape = config.shape { try insertSamples(shape, db: db, owners: ownerIDs) }
        }
    }

    /// Inserts `count` rows through one prepared statement; returns their ids.
    func insertMany(_ object: ObjectDef, count: Int, db: Database, owners ownerIDs: [String] = [],
                             fill: (inout GeneratedRow, Int) -> Void) throws -> [String] {
        guard count > 0 else { return [] }
        let columns = object.storedFields.map(\.name)
        let statement = try db.makeStatement(sql: "INSERT INTO \"\(object.name)\" (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
        let positions = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        var ids: [String] = []
        ids.reserveCapacity(object.name == "Account" ? count : 0)
        let now = org.clock.now()
        let creator = org.users[0].id
        for index in 0..<count {
            var row = GeneratedRow(positions: positions)
            fill(&row, index)
            if object.described != nil { fillBundled(object, &row, index: index, owners: ownerIDs) }
            let id = org.store.nextID(for: object)
            if object.name == "Account" { ids.append(id) }
            let created = now.addingTimeInterval(-Double(random.int(3600...730 * 86_400)))
            let modified = random.chance(0.5) ? created.addingTimeInterval(Double(random.int(0...Int(now.timeIntervalSince(created))))) : created
            row["Id"] = id
            row["IsDeleted"] = 0
            row["CreatedDate"] = SimDates.format(created)
            row["CreatedById"] = creator
            row["LastModifiedDate"] = SimDates.format(modified)
            row["LastModifiedById"] = creator
            row["SystemModstamp"] = SimDates.format(modified)
            statement.setUncheckedArguments(StatementArguments(row.values))
            try statement.execute()
        }
        return ids
    }

    func company() -> String {
        let (first, second, third) = Self.companyWords
        return [random.pick(first), random.pick(second), random.pick(third)].filter { !$0.isEmpty }.joined(separator: " ")
    }

    func phone() -> String {
        let line = String(random.int(10_000...19_999).description.dropFirst())  // four digits, zero-padded
        return "(\(random.int(200...989))) \(random.int(200...999))-\(line)"
    }

    func email(_ first: String, _ last: String, _ index: Int) -> String {
        let local = "\(first).\(last)".lowercased().folding(options: .diacriticInsensitive, locale: nil)
            .filter { ($0.isLetter && $0.isASCII) || $0 == "." }
        return "\(local.isEmpty ? "person" : local).\(index)@\(random.pick(["example.com", "example.org", "mail.example.net"]))"
    }

    func date(yearsBack range: ClosedRange<Int>) -> String {
        let days = random.int(range.lowerBound * 365...range.upperBound * 365 + 364)
        return SimDates.formatDate(org.clock.now().addingTimeInterval(-Double(days) * 86_400))
    }
}

/// One row being generated: values by column position, set by field name.
struct GeneratedRow {
    let positions: [String: Int]
    var values: [DatabaseValue]

    init(positions: [String: Int]) {
        self.positions = positions
        self.values = Array(repeating: .null, count: positions.count)
    }

    subscript(name: String) -> DatabaseValueConvertible? {
        get {
            guard let position = positions[name] else { return nil }
            switch values[position].storage {
            case .null: return nil
            case let .string(text): return text
            case let .int64(number): return number
            case let .double(number): return number
            case let .blob(data): return data
            }
        }
        set {
            guard let position = positions[name] else { return }
            values[position] = newValue?.databaseValue ?? .null
        }
    }
}
