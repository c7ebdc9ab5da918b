/// The command table of sfsh: every command, in help order.
public enum Commands {
    public static let table = CommandTable(
        SessionCommands.all + [MappingCommands.map, MappingCommands.unmap] + OrgCommands.all + [CheckCommand.spec]
            + InspectCommands.all + [PreviewCommands.spec, EstimateCommands.spec, BundleCommand.spec]
            + SyncCommands.all + [ProfileCommands.profiles, ProfileCommands.audiences])
}
