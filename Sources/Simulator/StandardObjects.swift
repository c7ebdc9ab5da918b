/// The sObjects the simulated org has, with the standard fields real orgs
/// describe (salesforce-wire.md §9) and the custom fields both integrations use.
public enum StandardObjects {
    public static let all: [ObjectDef] = [account, contact, lead, opportunity, user, organization,
                                          userPermissionAccess, duplicateRule, assignmentRule, note]

    static func auditFields(owner hasOwner: Bool = true, ownerTargets: [String] = ["User"]) -> [FieldDef] {
        [.id(), FieldDef.checkbox("IsDeleted", "Deleted").readOnly()] + (hasOwner ? [owner(to: ownerTargets)] : []) + audit()
    }

    static func owner(to targets: [String] = ["User"]) -> FieldDef {
        FieldDef.reference("OwnerId", "Owner ID", to: targets, relationship: "Owner").with {
            $0.nillable = false
            $0.defaultedOnCreate = true
            $0.childListing = .hidden
        }
    }

    static func audit() -> [FieldDef] {
        [
            .audit("CreatedDate", "Created Date", .datetime),
            .audit("CreatedById", "Created By ID", .reference, relationship: "CreatedBy"),
            .audit("LastModifiedDate", "Last Modified Date", .datetime),
            .audit("LastModifiedById", "Last Modified By ID", .reference, relationship: "LastModifiedBy"),
            .audit("SystemModstamp", "System Modstamp", .datetime),
        ]
    }

    /// Salutation, first, last and full name, as Contact and Lead describe them.
    static func personName() -> [FieldDef] {
        [
            FieldDef.text("LastName", "Last Name", 80).required().part(of: "Name"),
            FieldDef.text("FirstName", "First Name", 40).part(of: "Name"),
            FieldDef.picklist("Salutation", "Salutation", ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
                .map { PicklistEntry($0) }).part(of: "Name").with { $0.length = 40 },
            FieldDef.text("Name", "Full Name", 121).readOnly().required().named(),
        ]
    }

    static func viewed() -> [FieldDef] {
        [FieldDef.datetime("LastViewedDate", "Last Viewed Date").readOnly(),
         FieldDef.datetime("LastReferencedDate", "Last Referenced Date").readOnly()]
    }

    /// The Data.com fields (Contact has its photo among them).
    static func dataCom(photo: Bool) -> [FieldDef] {
        (photo ? [.photoURL()] : []) + [
            .text("Jigsaw", "Data.com Key", 20),
            FieldDef.text("JigsawContactId", "Jigsaw Contact ID", 20).readOnly().with { $0.relationshipName = "JigsawContact" },
            FieldDef.picklist("CleanStatus", "Clean Status", [
                PicklistEntry("Matched", label: "In Sync"), PicklistEntry("Different"),
                PicklistEntry("Acknowledged", label: "Reviewed"), PicklistEntry("NotFound", label: "Not Found"),
                PicklistEntry("Inactive"), PicklistEntry("Pending", label: "Not Compared"),
                PicklistEntry("SelectMatch", label: "Select Match"), PicklistEntry("Skipped"),
            ]).with {
                $0.length = 40
                $0.restrictedPicklist = true
            },
        ]
    }

    static let leadSources = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"].map { PicklistEntry($0) }

    /// The Industry picklist as real orgs ship it.
    static let industries = ["Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
                             "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
                             "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
                             "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
                             "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
                             "Utilities", "Other"].map { PicklistEntry($0) }

    public static let account = ObjectDef(
        name: "Account", label: "Account", labelPlural: "Accounts", keyPrefix: "001",
        fields: auditFields() + [
            FieldDef.text("Name", "Account Name", 255).required().named(),
            .picklist("Type", "Account Type", ["Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]
                .map { PicklistEntry($0) }),
            .picklist("Industry", "Industry", industries),
            .phone("Phone", "Account Phone"),
            .text("Website", "Website", 255, type: .url),
            .number("AnnualRevenue", "Annual Revenue", .currency, precision: 18, scale: 0),
            .number("NumberOfEmployees", "Employees", .int, precision: 8, scale: 0),
            .text("Description", "Account Description", 32000, type: .textarea),
            // Standard fields a real Account describe has.
            .reference("ParentId", "Parent Account ID", to: ["Account"], relationship: "Parent"),
            .text("AccountNumber", "Account Number", 40),
            .text("Site", "Account Site", 80),
            .picklist("AccountSource", "Account Source", ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
                .map { PicklistEntry($0) }),
            .picklist("Rating", "Account Rating", ["Hot", "Warm", "Cold"].map { PicklistEntry($0) }),
            .picklist("Ownership", "Ownership", ["Public", "Private", "Subsidiary", "Other"].map { PicklistEntry($0) }),
            .phone("Fax", "Account Fax"),
            .text("TickerSymbol", "Ticker Symbol", 20),
            .text("Sic", "SIC Code", 20),
        ] + FieldDef.address("Billing", labelPrefix: "Billing", compound: "BillingAddress")
          + FieldDef.address("Shipping", labelPrefix: "Shipping", compound: "ShippingAddress")
          // A custom field a Contact formula reads (Account_Tier__c): changing it changes no Contact's SystemModstamp.
          + [.picklist("Tier__c", "Tier", ["Gold", "Silver", "Bronze"].map { PicklistEntry($0) })])

    /// Formula fields that read another object's field, as `CrossObjectFormula` keeps them current.
    static let crossObjectFormulas = [
        CrossObjectFormula(object: "Contact", field: "Account_Tier__c", reference: "AccountId", parent: "Account", parentField: "Tier__c"),
    ]

    /// Contact as a real org describes it (../shared/fixtures/salesforce/describe_Contact.json, in its order),
    /// then the opt-outs a profile hides there and the custom fields the integrations use.
    public static let contact = ObjectDef(
        name: "Contact", label: "Contact", labelPlural: "Contacts", keyPrefix: "003",
        fields: [.id(), FieldDef.checkbox("IsDeleted", "Deleted").readOnly(), .masterRecord(of: "Contact"),
            .reference("AccountId", "Account ID", to: ["Account"], relationship: "Account"),
        ] + personName() + FieldDef.address("Other", labelPrefix: "Other", compound: "OtherAddress")
          + FieldDef.address("Mailing", labelPrefix: "Mailing", compound: "MailingAddress") + [
            .phone("Phone", "Business Phone"),
            .phone("Fax", "Business Fax"),
            .phone("MobilePhone", "Mobile Phone"),
            .phone("HomePhone", "Home Phone"),
            .phone("OtherPhone", "Other Phone"),
            .phone("AssistantPhone", "Asst. Phone"),
            FieldDef.reference("ReportsToId", "Reports To ID", to: ["Contact"], relationship: "ReportsTo")
                .with { $0.childListing = .unnamed },
            .text("Email", "Email", 80, type: .email),
            .text("Title", "Title", 128),
            .text("Department", "Department", 80),
            .text("AssistantName", "Assistant's Name", 40),
            .picklist("LeadSource", "Lead Source", leadSources),
            .date("Birthdate", "Birthdate"),
            .text("Description", "Contact Description", 32000, type: .textarea),
            owner(),
        ] + audit() + [
            FieldDef.date("LastActivityDate", "Last Activity").readOnly(),
            FieldDef.datetime("LastCURequestDate", "Last Stay-in-Touch Request Date").readOnly(),
            FieldDef.datetime("LastCUUpdateDate", "Last Stay-in-Touch Save Date").readOnly(),
        ] + viewed() + [
            FieldDef.text("EmailBouncedReason", "Email Bounced Reason", 255).with { $0.permissionable = false },
            FieldDef.datetime("EmailBouncedDate", "Email Bounced Date").with { $0.permissionable = false },
            FieldDef.checkbox("IsEmailBounced", "Is Email Bounced").readOnly(),
        ] + dataCom(photo: true) + [
            FieldDef.reference("IndividualId", "Individual ID", to: ["Individual"], relationship: "Individual")
                .with { $0.permissionable = false },
            .checkbox("HasOptedOutOfEmail", "Email Opt Out"),
            .checkbox("HasOptedOutOfFax", "Fax Opt Out"),
            .checkbox("DoNotCall", "Do Not Call"),
            // An id from an older system: External ID but not unique, so a lookup by it can match several Contacts.
            FieldDef.text("Legacy_Id__c", "Legacy Id", 64).externalID(unique: false),
            .text("Nickname__c", "Nickname", 40),
            .checkbox("Deceased__c", "Deceased"),
            .date("Deceased_Date__c", "Deceased Date"),
            .date("Anniversary__c", "Anniversary"),
            .date("Review_Date__c", "Review Date"),
            .datetime("Last_Meeting__c", "Last Meeting"),
            .picklist("Segment__c", "Segment", [PicklistEntry("GOLD", label: "Gold"),
                                                PicklistEntry("SILVER", label: "Silver"),
                                                PicklistEntry("BRONZE", label: "Bronze")]),
            .picklist("Interests__c", "Interests", ["Golf", "Travel", "Wine", "Tennis", "Art", "Sailing"]
                .map { PicklistEntry($0) }, multi: true),
            .phone("Preferred_Phone__c", "Preferred Phone"),
            FieldDef.text("Display_Name__c", "Display Name", 1300)
                .formula("IF(ISBLANK(Nickname__c), FirstName, Nickname__c) & \" \" & LastName"),
            FieldDef.text("Account_Tier__c", "Account Tier", 1300).formula("TEXT(Account.Tier__c)"),
        ])

    public static let leadStatuses = [
        PicklistEntry("Open - Not Contacted", isDefault: true), PicklistEntry("Working - Contacted"),
        PicklistEntry("Closed - Converted"), PicklistEntry("Closed - Not Converted"),
    ]

    /// Lead as a real org describes it (../shared/fixtures/salesforce/describe_Lead.json, in its order), then
    /// the opt-outs a profile hides there and the custom fields of the export.
    public static let lead = ObjectDef(
        name: "Lead", label: "Lead", labelPlural: "Leads", keyPrefix: "00Q",
        fields: [.id(), FieldDef.checkbox("IsDeleted", "Deleted").readOnly(), .masterRecord(of: "Lead")]
          + personName() + [
            .text("Title", "Title", 128),
            FieldDef.text("Company", "Company", 255).required(),
        ] + FieldDef.address("", labelPrefix: "", compound: "Address") + [
            .phone("Phone", "Phone"),
            .phone("MobilePhone", "Mobile Phone"),
            .phone("Fax", "Fax"),
            .text("Email", "Email", 80, type: .email),
            .text("Website", "Website", 255, type: .url),
            .photoURL(),
            .text("Description", "Description", 32000, type: .textarea),
            .picklist("LeadSource", "Lead Source", leadSources),
            FieldDef.picklist("Status", "Status", leadStatuses).required(),
            .picklist("Industry", "Industry", industries),
            .picklist("Rating", "Rating", ["Hot", "Warm", "Cold"].map { PicklistEntry($0) }),
            .number("AnnualRevenue", "Annual Revenue", .currency, precision: 18, scale: 0),
            .number("NumberOfEmployees", "Employees", .int, precision: 8, scale: 0),
            owner(to: ["Group", "User"]),
            FieldDef.checkbox("IsConverted", "Converted").notCreateableAfter(),
            FieldDef.date("ConvertedDate", "Converted Date").readOnly(),
            FieldDef.reference("ConvertedAccountId", "Converted Account ID", to: ["Account"],
                               relationship: "ConvertedAccount").readOnly().with { $0.childListing = .unnamed },
            FieldDef.reference("ConvertedContactId", "Converted Contact ID", to: ["Contact"],
                               relationship: "ConvertedContact").readOnly().with { $0.childListing = .unnamed },
            FieldDef.reference("ConvertedOpportunityId", "Converted Opportunity ID", to: ["Opportunity"],
                               relationship: "ConvertedOpportunity").readOnly().with { $0.childListing = .unnamed },
            .checkbox("IsUnreadByOwner", "Unread By Owner"),
        ] + audit() + [FieldDef.date("LastActivityDate", "Last Activity").readOnly()] + viewed()
          + dataCom(photo: false) + [
            .text("CompanyDunsNumber", "Company D-U-N-S Number", 9),
            .reference("DandbCompanyId", "D&B Company ID", to: ["DandBCompany"], relationship: "DandbCompany"),
            FieldDef.text("EmailBouncedReason", "Email Bounced Reason", 255).with { $0.createable = false },
            FieldDef.datetime("EmailBouncedDate", "Email Bounced Date").with { $0.createable = false },
            FieldDef.reference("IndividualId", "Individual ID", to: ["Individual"], relationship: "Individual")
                .with { $0.permissionable = false },
            .checkbox("HasOptedOutOfEmail", "Email Opt Out"),
            .checkbox("DoNotCall", "Do Not Call"),
            // The profile id, as a customer's org keeps it for an export by external id: External ID, Unique.
            FieldDef.text("Lytics_Id__c", "Lytics Id", 255).externalID(unique: true),
            .text("Lytics_Audiences__c", "Lytics Audiences", 32768, type: .textarea),
            .text("Lytics_Content_Affinity__c", "Lytics Content Affinity", 32768, type: .textarea),
            .text("Lytics_Scores__c", "Lytics Scores", 32768, type: .textarea),
            .number("Lifetime_Value__c", "Lifetime Value", .currency, precision: 16, scale: 2),
            .number("Visits__c", "Visits", .double, precision: 6, scale: 0),
            .number("Engagement__c", "Engagement", .percent, precision: 5, scale: 2),
            .checkbox("Newsletter__c", "Newsletter"),
            .date("Signup_Date__c", "Signup Date"),
            .datetime("Last_Seen__c", "Last Seen"),
            .picklist("Favorite_Color__c", "Favorite Color", ["Red", "Green", "Blue"].map { PicklistEntry($0) }),
            .text("Bio__c", "Bio", 255),
        ])

    public static let opportunity = ObjectDef(
        name: "Opportunity", label: "Opportunity", labelPlural: "Opportunities", keyPrefix: "006",
        fields: auditFields() + [
            .reference("AccountId", "Account ID", to: ["Account"], relationship: "Account"),
            FieldDef.text("Name", "Name", 120).required().named(),
            FieldDef.picklist("StageName", "Stage", ["Prospecting", "Qualification", "Needs Analysis",
                                                     "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
                                                     "Closed Lost"].map { PicklistEntry($0) }).required(),
            .number("Amount", "Amount", .currency, precision: 18, scale: 2),
            .number("Probability", "Probability (%)", .percent, precision: 3, scale: 0),
            FieldDef.date("CloseDate", "Close Date").required(),
            .text("Description", "Description", 32000, type: .textarea),
            // Standard fields a real Opportunity describe has; IsClosed, IsWon and ForecastCategory follow the stage.
            .picklist("Type", "Opportunity Type", ["Existing Customer - Upgrade", "Existing Customer - Replacement",
                                                    "Existing Customer - Downgrade", "New Customer"].map { PicklistEntry($0) }),
            .picklist("LeadSource", "Lead Source", ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
                .map { PicklistEntry($0) }),
            .text("NextStep", "Next Step", 255),
            .reference("ContactId", "Contact ID", to: ["Contact"], relationship: "Contact"),
            FieldDef.checkbox("IsClosed", "Closed").readOnly(),
            FieldDef.checkbox("IsWon", "Won").readOnly(),
            FieldDef.picklist("ForecastCategory", "Forecast Category", ["Omitted", "Pipeline", "BestCase", "Forecast", "Closed"]
                .map { PicklistEntry($0) }).readOnly(),
            .picklist("ForecastCategoryName", "Forecast Category", ["Omitted", "Pipeline", "Best Case", "Commit", "Closed"]
                .map { PicklistEntry($0) }),
        ]).with { $0.deepCloneable = true }

    /// The child relationships of `parent`: each child object, its field pointing at the parent, and the
    /// relationship name its describe lists (the child's plural label, `Notes` for Notes; none for an unnamed one).
    static func childRelationships(of parent: ObjectDef) -> [(child: ObjectDef, field: FieldDef, name: String?)] {
        all.flatMap { child in
            child.fields.filter { $0.referenceTo.contains(parent.name) && $0.childListing != .hidden }.map { field in
                guard field.childListing == .named else { return (child, field, nil) }
                return (child, field, child.name == "Note" ? "Notes"
                        : child.name == parent.name ? "Child\(child.labelPlural)" : child.labelPlural)
            }
        }
    }

    /// The child relationship called `name` (without case).
    static func childRelationship(of parent: ObjectDef, named name: String) -> (child: ObjectDef, field: FieldDef, name: String)? {
        childRelationships(of: parent).lazy.compactMap { child, field, listed in
            listed.map { (child, field, $0) }
        }.first { $0.name.lowercased() == name.lowercased() }
    }

    /// What an Opportunity's stage says: closed, won, and its forecast category.
    static func stage(_ name: String?) -> (closed: Bool, won: Bool, forecast: String) {
        switch name {
        case "Closed Won": (true, true, "Closed")
        case "Closed Lost": (true, false, "Omitted")
        case "Negotiation/Review", "Proposal/Price Quote": (false, false, "BestCase")
        default: (false, false, "Pipeline")
        }
    }

    public static let user = ObjectDef(
        name: "User", label: "User", labelPlural: "Users", keyPrefix: "005",
        fields: [
            .id(),
            FieldDef.text("Username", "Username", 80).required(),
            .text("FirstName", "First Name", 40),
            FieldDef.text("LastName", "Last Name", 80).required(),
            FieldDef.text("Name", "Full Name", 121).readOnly().named(),
            FieldDef.text("Email", "Email", 128, type: .email).required(),
            FieldDef.text("Alias", "Alias", 8).required(),
            .text("CommunityNickname", "Nickname", 40),
            .text("Title", "Title", 80),
            .text("Department", "Department", 80),
            .text("CompanyName", "Company Name", 80),
            .phone("Phone", "Phone"),
            .checkbox("IsActive", "Active"),
            FieldDef.picklist("TimeZoneSidKey", "Time Zone", ["America/Los_Angeles", "America/New_York", "Europe/London",
                                                               "Europe/Berlin", "Asia/Tokyo", "GMT"].map { PicklistEntry($0) })
                .required().with { $0.length = 40; $0.restrictedPicklist = true },
            FieldDef.picklist("LocaleSidKey", "Locale", ["en_US", "en_GB", "de_DE", "fr_FR", "ja_JP"].map { PicklistEntry($0) })
                .required().with { $0.length = 40; $0.restrictedPicklist = true },
            FieldDef.picklist("EmailEncodingKey", "Email Encoding", ["UTF-8", "ISO-8859-1", "Shift_JIS"].map { PicklistEntry($0) })
                .required().with { $0.length = 40; $0.restrictedPicklist = true },
            FieldDef.picklist("LanguageLocaleKey", "Language", ["en_US", "de", "fr", "ja"].map { PicklistEntry($0) })
                .required().with { $0.length = 40; $0.restrictedPicklist = true },
            FieldDef.reference("ManagerId", "Manager ID", to: ["User"], relationship: "Manager").with { $0.childListing = .unnamed },
            FieldDef.datetime("LastLoginDate", "Last Login").readOnly(),
            // A portal or community user's Contact.
            .reference("ContactId", "Contact ID", to: ["Contact"], relationship: "Contact"),
            FieldDef.picklist("UserType", "User Type", ["Standard", "PowerPartner", "CsnOnly", "Guest"]
                .map { PicklistEntry($0) }).readOnly(),
        ] + audit()).with { $0.deletable = false; $0.undeletable = false }

    public static let organization = ObjectDef(
        name: "Organization", label: "Organization", labelPlural: "Organizations", keyPrefix: "00D",
        fields: [
            .id(),
            FieldDef.text("Name", "Name", 80).readOnly().named(),
            FieldDef.picklist("OrganizationType", "Edition", [
                "Team Edition", "Professional Edition", "Enterprise Edition", "Developer Edition",
                "Personal Edition", "Unlimited Edition", "Contact Manager Edition", "Base Edition",
                "Performance Edition",
            ].map { PicklistEntry($0) }).readOnly(),
            FieldDef.checkbox("IsSandbox", "Is Sandbox").readOnly(),
            FieldDef.text("InstanceName", "Instance Name", 5).readOnly(),
            FieldDef.date("TrialExpirationDate", "Trial Expiration Date").readOnly(),
            FieldDef.text("NamespacePrefix", "Namespace Prefix", 15).readOnly(),
        ],
        // As a real org's global describe lists it: updateable and replicateable, though no field here is writable.
        createable: false, updateable: true, deletable: false, replicateable: true)

    public static let userPermissionAccess = ObjectDef(
        name: "UserPermissionAccess", label: "User Permission Access", labelPlural: "User Permission Access",
        keyPrefix: "0up",
        fields: [
            .id(),
            FieldDef.checkbox("PermissionsApiEnabled", "API Enabled").readOnly(),
            FieldDef.checkbox("PermissionsViewAllData", "View All Data").readOnly(),
            FieldDef.checkbox("PermissionsModifyAllData", "Modify All Data").readOnly(),
            FieldDef.checkbox("PermissionsViewSetup", "View Setup and Configuration").readOnly(),
        ],
        createable: false, updateable: false, deletable: false, replicateable: false).with { $0.retrieveable = false }

    public static let duplicateRule = ObjectDef(
        name: "DuplicateRule", label: "Duplicate Rule", labelPlural: "Duplicate Rules", keyPrefix: "0Bm",
        fields: [
            .id(),
            FieldDef.text("DeveloperName", "Rule Name", 80).readOnly(),
            FieldDef.text("MasterLabel", "Label", 80).readOnly().named(),
            FieldDef.picklist("SobjectType", "Object", ["Account", "Contact", "Lead"].map { PicklistEntry($0) })
                .readOnly(),
            FieldDef.checkbox("IsActive", "Active").readOnly(),
            FieldDef.text("NamespacePrefix", "Namespace Prefix", 15).readOnly(),
        ],
        createable: false, updateable: false, deletable: false, replicateable: false)

    /// Read only, as Salesforce's: rules are made in Setup. `Active` is defaulted on create (false).
    public static let assignmentRule = ObjectDef(
        name: "AssignmentRule", label: "Assignment Rule", labelPlural: "Assignment Rules", keyPrefix: "01Q",
        fields: [
            .id(),
            FieldDef.text("Name", "Name", 120).readOnly().named(),
            FieldDef.picklist("SobjectType", "Object", ["Case", "Lead"].map { PicklistEntry($0) }).readOnly()
                .with { $0.restrictedPicklist = true },
            FieldDef.checkbox("Active", "Active").readOnly(),
        ] + audit(),
        createable: false, updateable: false, deletable: false, replicateable: false)

    public static let note = ObjectDef(
        name: "Note", label: "Note", labelPlural: "Notes", keyPrefix: "002",
        fields: auditFields() + [
            FieldDef.reference("ParentId", "Parent ID", to: ["Account", "Contact", "Lead", "Opportunity"],
                               relationship: "Parent").required().notCreateableAfter(),
            FieldDef.text("Title", "Title", 80).required().named(),
            .text("Body", "Body", 32000, type: .textarea),
            .checkbox("IsPrivate", "Private"),
        ])
}
