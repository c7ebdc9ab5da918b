/// The sObjects the simulated org has, with the standard fields real orgs
/// describe (salesforce-wire.md §9) and the custom fields both integrations use.
public enum StandardObjects {
    public static let all: [ObjectDef] = [account, contact, lead, opportunity, user, organization,
                                          userPermissionAccess, duplicateRule, note]

    static func auditFields(owner: Bool = true, ownerTargets: [String] = ["User"]) -> [FieldDef] {
        var fields: [FieldDef] = [.id(), .checkbox("IsDeleted", "Deleted").readOnly()]
        if owner {
            var ownerField = FieldDef.reference("OwnerId", "Owner ID", to: ownerTargets, relationship: "Owner")
            ownerField.nillable = false
            ownerField.defaultedOnCreate = true
            fields.append(ownerField)
        }
        fields += [
            .audit("CreatedDate", "Created Date", .datetime),
            .audit("CreatedById", "Created By ID", .reference, relationship: "CreatedBy"),
            .audit("LastModifiedDate", "Last Modified Date", .datetime),
            .audit("LastModifiedById", "Last Modified By ID", .reference, relationship: "LastModifiedBy"),
            .audit("SystemModstamp", "System Modstamp", .datetime),
        ]
        return fields
    }

    static let industries = ["Agriculture", "Banking", "Education", "Energy", "Healthcare", "Manufacturing",
                             "Media", "Retail", "Technology", "Telecommunications"].map { PicklistEntry($0) }

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
          + FieldDef.address("Shipping", labelPrefix: "Shipping", compound: "ShippingAddress"))

    public static let contact = ObjectDef(
        name: "Contact", label: "Contact", labelPlural: "Contacts", keyPrefix: "003",
        fields: auditFields() + [
            .reference("AccountId", "Account ID", to: ["Account"], relationship: "Account"),
            FieldDef.text("LastName", "Last Name", 80).required().part(of: "Name"),
            FieldDef.text("FirstName", "First Name", 40).part(of: "Name"),
            FieldDef.picklist("Salutation", "Salutation", ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
                .map { PicklistEntry($0) }).part(of: "Name"),
            FieldDef.text("Name", "Full Name", 121).readOnly().named(),
        ] + FieldDef.address("Mailing", labelPrefix: "Mailing", compound: "MailingAddress") + [
            .phone("Phone", "Business Phone"),
            .phone("Fax", "Business Fax"),
            .phone("MobilePhone", "Mobile Phone"),
            .phone("HomePhone", "Home Phone"),
            .phone("OtherPhone", "Other Phone"),
            .phone("AssistantPhone", "Asst. Phone"),
            .text("Email", "Email", 80, type: .email),
            // An id from an older system: External ID but not unique, so a lookup by it can match several Contacts.
            FieldDef.text("Legacy_Id__c", "Legacy Id", 64).externalID(unique: false),
            .text("Title", "Title", 128),
            .text("Department", "Department", 80),
            .picklist("LeadSource", "Lead Source", ["Web", "Phone Inquiry", "Partner Referral", "Purchased List",
                                                    "Other"].map { PicklistEntry($0) }),
            .date("Birthdate", "Birthdate"),
            .text("Description", "Contact Description", 32000, type: .textarea),
            .checkbox("HasOptedOutOfEmail", "Email Opt Out"),
            .checkbox("HasOptedOutOfFax", "Fax Opt Out"),
            .checkbox("DoNotCall", "Do Not Call"),
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
        ])

    public static let leadStatuses = [
        PicklistEntry("Open - Not Contacted", isDefault: true), PicklistEntry("Working - Contacted"),
        PicklistEntry("Closed - Converted"), PicklistEntry("Closed - Not Converted"),
    ]

    public static let lead = ObjectDef(
        name: "Lead", label: "Lead", labelPlural: "Leads", keyPrefix: "00Q",
        fields: auditFields(ownerTargets: ["Group", "User"]) + [
            FieldDef.text("LastName", "Last Name", 80).required().part(of: "Name"),
            FieldDef.text("FirstName", "First Name", 40).part(of: "Name"),
            FieldDef.picklist("Salutation", "Salutation", ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
                .map { PicklistEntry($0) }).part(of: "Name"),
            FieldDef.text("Name", "Full Name", 121).readOnly().named(),
            .text("Title", "Title", 128),
            FieldDef.text("Company", "Company", 255).required(),
        ] + FieldDef.address("", labelPrefix: "", compound: "Address") + [
            .phone("Phone", "Phone"),
            .phone("MobilePhone", "Mobile Phone"),
            .phone("Fax", "Fax"),
            .text("Email", "Email", 80, type: .email),
            .text("Website", "Website", 255, type: .url),
            .text("Description", "Description", 32000, type: .textarea),
            .picklist("LeadSource", "Lead Source", ["Web", "Phone Inquiry", "Partner Referral", "Purchased List",
                                                    "Other"].map { PicklistEntry($0) }),
            FieldDef.picklist("Status", "Status", leadStatuses).required(),
            .picklist("Industry", "Industry", industries),
            .picklist("Rating", "Rating", ["Hot", "Warm", "Cold"].map { PicklistEntry($0) }),
            .number("AnnualRevenue", "Annual Revenue", .currency, precision: 18, scale: 0),
            .number("NumberOfEmployees", "Employees", .int, precision: 8, scale: 0),
            .checkbox("HasOptedOutOfEmail", "Email Opt Out"),
            .checkbox("DoNotCall", "Do Not Call"),
            FieldDef.checkbox("IsConverted", "Converted").notCreateableAfter(),
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
            FieldDef.checkbox("IsClosed", "Closed").readOnly(),
            FieldDef.checkbox("IsWon", "Won").readOnly(),
            FieldDef.picklist("ForecastCategory", "Forecast Category", ["Omitted", "Pipeline", "BestCase", "Forecast", "Closed"]
                .map { PicklistEntry($0) }).readOnly(),
            .picklist("ForecastCategoryName", "Forecast Category", ["Omitted", "Pipeline", "Best Case", "Commit", "Closed"]
                .map { PicklistEntry($0) }),
        ]).with { $0.deepCloneable = true }

    /// The child relationships of `parent`: each child object, its field pointing at the parent, and the
    /// relationship name its describe lists (the child's plural label, `Notes` for Notes).
    static func childRelationships(of parent: ObjectDef) -> [(child: ObjectDef, field: FieldDef, name: String)] {
        all.flatMap { child in
            child.fields.filter { $0.referenceTo.contains(parent.name) && $0.name != "OwnerId" }.map { field in
                (child, field, child.name == "Note" ? "Notes" : child.name == parent.name ? "Child\(child.labelPlural)" : child.labelPlural)
            }
        }
    }

    /// The child relationship called `name` (without case).
    static func childRelationship(of parent: ObjectDef, named name: String) -> (child: ObjectDef, field: FieldDef, name: String)? {
        childRelationships(of: parent).first { $0.name.lowercased() == name.lowercased() }
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
            .checkbox("IsActive", "Active"),
            FieldDef.picklist("UserType", "User Type", ["Standard", "PowerPartner", "CsnOnly", "Guest"]
                .map { PicklistEntry($0) }).readOnly(),
            .audit("CreatedDate", "Created Date", .datetime),
            .audit("LastModifiedDate", "Last Modified Date", .datetime),
            .audit("SystemModstamp", "System Modstamp", .datetime),
        ]).with { $0.deletable = false; $0.undeletable = false }

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
