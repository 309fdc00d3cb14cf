//! The portal's own words in 简体中文 (default) and English, and the language choice itself:
//! kept in the `minqing_lang` cookie so the server renders the next page in it too.
//! Messages of API errors are not here: the API sends them already in the chosen language.
use leptos::prelude::*;
use minqing_domain::demand::lifecycle::{Action, DeadlineKind};
use minqing_domain::i18n::Lang;
use minqing_domain::role::Role;

use crate::state::use_portal;

/// The cookie the server reads to render in the chosen language.
pub const LANG_COOKIE: &str = "minqing_lang";

macro_rules! texts {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A text of the portal; [`Text::get`] gives it in a language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text { $($key),* }

        impl Text {
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Text::$key, Lang::Zh) => $zh, (Text::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

texts! {
    AppName => "民情家访", "Minqing";
    AppTagline => "民情家访工作平台", "Minqing home-visit platform";
    Loading => "加载中…", "Loading…";
    NetworkError => "网络错误，请检查连接后重试。", "Network error; check your connection and try again.";
    UnexpectedResponse => "服务器返回了无法识别的内容。", "The server sent an unexpected answer.";
    Retry => "重试", "Retry";
    Dismiss => "知道了", "Dismiss";

    // The outbox: what was recorded with the network gone.
    OutboxWaiting => "网络中断：以下记录已保存在本机，联网后自动提交。待提交：", "No network: these records are kept on this device and will be sent when it is back. Waiting:";
    OutboxRefused => "未能提交（服务器拒绝）：", "Not accepted by the server:";
    OutboxContent => "记录内容", "What was recorded";
    OutboxDiscard => "放弃这条记录", "Discard this record";
    OutboxDelivered => "网络恢复后已提交：", "Sent once the network came back:";
    SavedOnDevice => "网络中断，这条记录已保存在本机，联网后将自动提交，不会重复。可以继续登记下一条。", "No network: this record is kept on this device and will be sent, once, when the network is back. You can go on with the next one.";
    Save => "保存", "Save";
    Saving => "正在保存…", "Saving…";
    Saved => "已保存。", "Saved.";
    Create => "新建", "Create";
    Add => "添加", "Add";
    Remove => "移除", "Remove";
    Cancel => "取消", "Cancel";
    Actions => "操作", "Actions";
    Optional => "选填", "optional";
    NotFound => "页面不存在。", "This page does not exist.";
    BackHome => "返回首页", "Back to the start";
    Language => "语言", "Language";

    // Signing in and out.
    LoginTitle => "登录", "Log in";
    Tenant => "租户", "Tenant";
    TenantHint => "您所在地区在本系统中的标识（如 nanchang），由管理员告知；平台运维人员填写 platform。", "Your area's name in the system (such as nanchang), as your administrator gave it; platform operators enter platform.";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    LogIn => "登录", "Log in";
    LoggingIn => "正在登录…", "Logging in…";
    LogOut => "退出登录", "Log out";
    ChangePassword => "修改密码", "Change password";
    MustChangePassword => "首次登录或密码已重置，请先设置新密码。", "Please set a new password before you continue.";
    CurrentPassword => "当前密码", "Current password";
    NewPassword => "新密码", "New password";
    RepeatPassword => "再次输入新密码", "Repeat the new password";
    PasswordsDiffer => "两次输入的新密码不一致。", "The two new passwords differ.";
    PasswordRules => "至少 10 位，包含大写字母、小写字母、数字、符号中的至少三类。", "At least 10 characters, with three of: uppercase, lowercase, digits, symbols.";
    PasswordChanged => "密码已修改。", "Your password has been changed.";
    ServiceUnavailable => "暂时无法连接服务器。", "The server cannot be reached right now.";

    // Navigation.
    NavUnits => "单位层级", "Units";
    NavImport => "导入区划", "Import";
    NavSettings => "租户设置", "Settings";
    NavAccounts => "账号与授权", "Accounts";
    NavTenants => "租户管理", "Tenants";
    NavDemands => "诉求台账", "Demand ledger";
    NavIntake => "诉求登记", "Record a demand";
    NavWarnings => "预警看板", "Warnings";
    NavCases => "问责案件", "Accountability";
    NavDemandSettings => "诉求设置", "Demand settings";
    NavVisits => "家访日程", "Visit calendar";

    // The hierarchy browser.
    UnitsTitle => "单位层级", "Unit hierarchy";
    SearchPlaceholder => "按名称或代码搜索单位", "Search units by name or code";
    SearchLabel => "搜索单位", "Search units";
    NoMatches => "没有匹配的单位。", "No unit matches.";
    Searching => "正在搜索…", "Searching…";
    Expand => "展开", "Expand";
    Collapse => "收起", "Collapse";
    NoUnits => "暂无可查看的单位。", "There are no units you may see.";
    PickAUnit => "在左侧树中或通过搜索选择一个单位，查看其详情。", "Pick a unit in the tree or by search to see its details.";
    Code => "代码", "Code";
    TierLabel => "层级", "Tier";
    Children => "下级单位", "Child units";
    Archived => "已归档", "Archived";
    History => "变更记录", "History";
    NoHistory => "暂无变更记录。", "No changes recorded.";
    ChangeRenamed => "更名", "Renamed";
    ChangeRecoded => "代码变更", "Recoded";
    ChangeMoved => "调整隶属", "Moved";
    ChangeMerged => "合并", "Merged";
    ChangeAbolished => "撤销", "Abolished";
    Council => "理事会", "Council";
    NoMembers => "尚无理事。", "No members yet.";
    MemberName => "姓名", "Name";
    MemberCategory => "理事类别", "Category";
    CouncilRole => "职务", "Role";
    Organisation => "工作单位", "Organisation";
    TermStart => "任期开始", "Term starts";
    TermEnd => "任期结束", "Term ends";
    Term => "任期", "Term";
    Serving => "在任", "Serving";
    Former => "已卸任", "Former";
    AddMember => "添加理事", "Add a member";
    Workroom => "工作室 / 接待室", "Workroom";
    NoWorkroom => "尚未登记工作室。", "No workroom recorded yet.";
    WorkroomName => "名称", "Name";
    OpeningHours => "开放时间", "Opening hours";
    StaffOnDuty => "值班人员", "Staff on duty";
    StaffHint => "多人用逗号或顿号分隔。", "Separate names with commas.";
    EditWorkroom => "登记 / 修改工作室", "Record or change the workroom";
    Ancestors => "上级单位", "Ancestors";

    // Visits.
    Visits => "民情家访", "Visits";
    ContactPoints => "联系点（领导联系社区/村）", "Contact points";
    NoContactPoints => "尚未设置联系点。", "No contact points yet.";
    Leader => "领导", "Leader";
    AnswerableLeaders => "责任领导", "Leaders answerable";
    PairLeader => "设置联系点（领导联系本社区/村）", "Pair a leader with this community";
    Community => "社区 / 村", "Community";
    Since => "起始日期", "Since";
    PeriodsDone => "已完成", "Done";
    PeriodsDue => "待完成", "Due";
    PeriodsMissed => "未完成", "Missed";
    NoVisits => "暂无家访。", "No visits.";
    VisitScheduled => "已安排", "Scheduled";
    VisitPublished => "已公告", "Notice out";
    VisitHeld => "已举行", "Held";
    VisitCancelled => "已取消", "Cancelled";
    Hosts => "主持", "Hosts";
    Interview => "入户访谈", "In-home interview";
    MovedBecause => "改期原因", "Moved because";
    MovedFrom => "原定", "First set for";
    CancelledBecause => "取消原因", "Cancelled because";
    Residents => "出席群众", "Residents";
    WalkIns => "其中临时到场", "Of them walk-ins";
    Households => "涉及户数", "Households";
    Minutes => "纪要", "Minutes";
    PublishNotice => "发布公告", "Publish the notice";
    RecordVisitDemand => "记录家访中的诉求", "Record a demand raised here";
    RecordVisit => "记录出席和纪要", "Record attendance and minutes";
    CancelVisit => "取消家访", "Cancel the visit";
    ScheduleVisit => "安排家访", "Schedule a visit";
    HostIsYou => "由您本人主持。公告须在家访开始前至少24小时（或本租户规定的时间）发布。", "You host it. Its notice must be out at least 24 hours (or the tenant's lead time) before it starts.";
    StartsAt => "开始时间", "Starts";
    EndsAt => "结束时间", "Ends";
    Place => "地点", "Place";
    Schedule => "安排", "Schedule";
    PickTime => "请填写开始和结束时间。", "Give the start and end times.";
    PublicNotices => "家访公告", "Visit notices";
    SubscribeCalendar => "订阅日历（.ics）", "Subscribe (.ics calendar)";
    UpcomingVisits => "即将举行", "Coming up";
    PastVisits => "往期家访", "Past visits";
    VisitCalendar => "家访日程", "Visit calendar";
    InterviewKind => "入户访谈（走访一户，不公告）", "In-home interview (one household, never announced)";
    InterviewHousehold => "访谈住户", "Household interviewed";
    EndPairing => "结束联系", "End the pairing";
    MoveVisit => "改期", "Move the visit";
    OperationsRules => "家访与经费规则", "Visit and budget rules";
    ContactFrequency => "联系点家访频次", "How often a leader visits each contact point";
    EveryWeek => "每周", "Every week";
    EveryMonth => "每月", "Every month";
    EveryQuarter => "每季度", "Every quarter";
    NoticeLeadHours => "家访公告至少提前（小时）", "Notices out at least this many hours before a visit";
    WholeHours => "请填写整数小时（0–720）。", "Enter whole hours (0–720).";
    Overspending => "超出年度预算的支出", "Spending beyond the year's allocation";
    OverspendRefused => "一律拒绝", "Refused";
    OverspendApproved => "经领导批准后可以支出", "Allowed with a leader's approval";
    NewPlace => "新地点（不填则不变）", "New place (unchanged if left empty)";
    LeadersKept => "领导干部联系点履职情况", "Leaders' contact points kept";
    PairingUntil => "最后一天", "Last day";
    OnlyMine => "只看我主持的", "Only those I host";
    PreviousMonth => "上个月", "Previous month";
    NextMonth => "下个月", "Next month";
    NoVisitsThisMonth => "本月没有家访安排。", "No visits this month.";
    RaisedAtVisit => "这条诉求来自家访，将与该次家访关联。", "This demand was raised at a visit and will be linked to it.";

    // Households.
    HouseholdCoverage => "住户参与覆盖（本年度）", "Household coverage (this year)";
    HouseholdsReached => "已参与家访的住户", "Households that took part";
    HouseholdRegister => "住户台账", "Household register";
    NoHouseholds => "尚未登记住户。", "No households registered yet.";
    HeadOfHousehold => "户主", "Head of household";
    HouseholdFlags => "标记", "Flags";
    VisitsTakenPart => "参与家访次数", "Visits taken part in";
    AddHousehold => "登记住户", "Register a household";
    HouseholdsCame => "到场住户", "Households that came";

    // Coverage.
    Coverage => "理事会与工作室覆盖情况", "Council and workroom coverage";
    Tier => "层级", "Tier";
    Units => "单位数", "Units";
    WithCouncil => "有理事会", "With a council";
    WithWorkroom => "有工作室", "With a workroom";
    Uncovered => "尚未覆盖的单位", "Units not yet covered";
    LacksBoth => "缺理事会和工作室", "no council, no workroom";
    LacksCouncil => "缺理事会", "no council";
    LacksWorkroom => "缺工作室", "no workroom";
    AndMore => "另有", "and more:";

    // Budgets.
    Budget => "经费", "Budget";
    Allocated => "预算", "Allocated";
    Spent => "已支出", "Spent";
    Remaining => "结余", "Remaining";
    NoAllocation => "本年度尚未安排经费。", "No money allocated this year.";
    BudgetItem => "预算项目", "Budget item";
    Amount => "金额", "Amount";
    AmountYuan => "金额（元）", "Amount (yuan)";
    AmountHint => "如 2,200,000 或 1234.50，最多两位小数。", "e.g. 2,200,000 or 1234.50; at most two decimals.";
    RecordedBy => "记录人", "Recorded by";
    Correction => "更正", "Correction";
    NoSpending => "本年度尚无支出。", "No spending this year.";
    SpentOn => "支出日期", "Spent on";
    Payee => "收款方", "Payee";
    Purpose => "用途", "Purpose";
    ProjectOrDemand => "项目 / 诉求", "Project or demand";
    Project => "项目名称", "Project";
    LinkedDemand => "关联诉求", "Linked demand";
    ApprovedBy => "超支审批人", "Overspend approved by";
    RollUp => "下辖汇总", "Roll-up of the subtree";
    Chart => "预算与支出", "Allocated and spent";
    OwnMoney => "（本级）", "(own)";
    Total => "合计", "Total";
    SpendingByCategory => "按诉求类别的支出", "Spending by demand category";
    NoCategory => "未分类", "Uncategorised";
    Allocate => "安排经费", "Allocate money";
    RecordSpending => "登记支出", "Record spending";
    ApproveOverspend => "超出预算时由我审批", "I approve spending beyond the allocation";
    Record => "登记", "Record";

    // Import.
    ImportTitle => "导入区划文件", "Import a division file";
    ImportHelp => "上传 CSV（UTF-8 或 GB18030/GBK）或 XLSX 文件，列为 code,parent_code,level,name。有任何错误行时不会导入任何数据。", "Upload a CSV (UTF-8 or GB18030/GBK) or XLSX file with the columns code,parent_code,level,name. A file with any bad row imports nothing.";
    File => "文件", "File";
    Upload => "上传并导入", "Upload and import";
    UploadFile => "上传", "Upload";
    Uploading => "正在上传…", "Uploading…";
    Processing => "上传完成，正在导入…", "Uploaded; importing…";
    ChooseFileFirst => "请先选择文件。", "Choose a file first.";
    Export => "导出", "Export";
    ImportMembers => "从表格导入理事会成员", "Import council members from a spreadsheet";
    ImportMembersHelp => "CSV 或 XLSX，每行写明单位代码、姓名、类别、职务、任期起止和联系电话（与导出的表头相同）。有错误行时整个文件都不导入，并列出每一行的问题。", "CSV or XLSX, one member a row with the unit's code, name, category, role, term and phone (the headers of the export). A file with any bad row imports nothing and names each one.";
    Vouchers => "凭证", "Vouchers";
    AddVoucher => "上传凭证", "Add a voucher";
    Reverse => "冲正", "Reverse";
    ReverseAmount => "冲正金额（元）", "Amount to reverse (yuan)";
    ReverseReason => "冲正原因", "Reason";
    ImportHouseholds => "从表格导入住户", "Import households from a spreadsheet";
    ImportHouseholdsHelp => "CSV 或 XLSX，表头：住址、户主、联系电话、标记（多个标记用“、”分隔）。有错误行时整个文件都不导入，并列出每一行的问题；已登记的住址保持不变。", "CSV or XLSX with the headers address, head_name, phone, flags (or 住址, 户主, 联系电话, 标记). A file with any bad row imports nothing and names each one; addresses already on the register are left as they are.";
    ImportDone => "导入完成。", "Import finished.";
    Created => "新增", "Created";
    Updated => "更新", "Updated";
    Unchanged => "未变", "Unchanged";
    BadRows => "错误行", "Bad rows";
    Line => "行号", "Line";
    Reason => "原因", "Reason";

    // Tenant settings.
    SettingsTitle => "租户设置", "Tenant settings";
    NameZh => "中文名称", "Chinese name";
    NameEn => "英文名称", "English name";
    TimeZone => "时区", "Time zone";
    Slug => "标识", "Slug";
    Kind => "类型", "Kind";
    Status => "状态", "Status";
    Tiers => "层级设置", "Tiers";
    TiersHelp => "层级名称可随时修改；修改后全平台立即生效。", "Tier labels can be renamed at any time; the change shows everywhere at once.";
    Level => "级次", "Level";
    Key => "键", "Key";
    LabelZh => "中文名称", "Chinese label";
    LabelEn => "英文名称", "English label";
    UnitCount => "单位数", "Units";

    // Accounts.
    AccountsTitle => "账号与授权", "Accounts and grants";
    NewAccount => "新建账号", "New account";
    DisplayName => "姓名", "Display name";
    InitialPassword => "初始密码（留空则自动生成）", "Initial password (leave empty to generate one)";
    GeneratedPassword => "初始密码（只显示这一次，请转交本人；首次登录须修改）：", "Initial password (shown only this once; hand it over — it must be changed at first login):";
    Grants => "授权", "Grants";
    Role => "角色", "Role";
    Unit => "单位", "Unit";
    WholeTenant => "全租户", "Whole tenant";
    AddGrant => "添加授权", "Add grant";
    PickUnit => "搜索并选择单位（留空为全租户）", "Search and pick a unit (empty: whole tenant)";
    Disable => "停用", "Disable";
    Enable => "启用", "Enable";
    Disabled => "已停用", "Disabled";
    Active => "正常", "Active";
    MustChange => "待改密", "Must change password";

    // Tenants (operators).
    TenantsTitle => "租户管理", "Tenants";
    NewTenant => "新建租户", "New tenant";
    KindCity => "市级", "City";
    KindProvince => "省级", "Province";
    AdminPassword => "管理员初始密码（留空则自动生成）", "Admin's initial password (leave empty to generate one)";
    AdminPasswordOnce => "管理员 admin 的初始密码（只显示这一次）：", "Initial password of admin (shown only this once):";
    Suspend => "暂停", "Suspend";
    Resume => "恢复", "Resume";
    Suspended => "已暂停", "Suspended";

    // Demands: intake.
    IntakeTitle => "诉求登记", "Record a demand";
    OriginCommunity => "来源社区（村）", "Community (village) raised in";
    SearchCommunity => "按名称或代码搜索社区", "Search communities by name or code";
    PickFromTree => "从单位层级中选择", "Pick from the hierarchy";
    HideTree => "收起单位层级", "Hide the hierarchy";
    NoCommunityMatches => "没有匹配的社区（村）。", "No community or village matches.";
    Change => "更换", "Change";
    Up => "上一级", "Up";
    Channel => "渠道", "Channel";
    Grade => "诉求等级", "Grade";
    Category => "类别", "Category";
    ChooseCategory => "请选择类别", "Choose a category";
    DemandTitle => "诉求标题", "Title";
    Description => "诉求内容", "Description";
    Address => "地址", "Address";
    ResidentName => "群众姓名", "Resident's name";
    Phone => "联系电话", "Phone";
    IdNumber => "身份证号", "ID number";
    PersonalDataHint => "电话和身份证号加密保存，页面上只显示部分号码。", "Phone and ID number are stored encrypted and shown masked.";
    PickOrigin => "请选择来源社区（村）。", "Choose the community or village.";
    PickChannel => "请选择渠道。", "Choose a channel.";
    PickGrade => "请选择诉求等级。", "Choose a grade.";
    PickCategory => "请选择类别。", "Choose a category.";
    FixFields => "请检查标出的字段。", "Please check the marked fields.";
    SubmitIntake => "提交登记", "Record";
    Submitting => "正在提交…", "Submitting…";
    ReceiptCode => "回执编号", "Receipt code";
    Recorded => "诉求已登记。请将回执编号告知群众，凭此查询办理进度。", "Recorded. Give the resident the receipt code to follow the demand's progress.";
    ViewDemand => "查看诉求详情", "Open the demand";
    RecordAnother => "再登记一条", "Record another";
    GradeUrgentHint => "生活急事、邻里纠纷", "Daily needs, neighbour disputes";
    GradeWorryingHint => "社区难以解决", "Beyond the community";
    GradeHardHint => "区县难以解决", "Beyond the county";
    GradeHopedForHint => "长期期盼的改善", "Long-hoped-for improvements";

    // Demands: the ledger.
    LedgerTitle => "诉求台账", "Demand ledger";
    AllStatuses => "全部", "All";
    AnyGrade => "全部等级", "Any grade";
    AnyCategory => "全部类别", "Any category";
    AnyChannel => "全部渠道", "Any channel";
    OverdueAny => "超期：不限", "Overdue: any";
    OverdueOnly => "仅看超期", "Overdue only";
    NotOverdue => "未超期", "Not overdue";
    DateFrom => "登记日期起", "Received from";
    DateTo => "登记日期止", "Received to";
    SearchDemands => "标题、内容或回执编号", "Title, description or receipt code";
    ClearFilters => "清除筛选", "Clear filters";
    ReceivedAt => "登记时间", "Received";
    HandlingUnit => "办理单位", "Handling unit";
    Deadline => "办理期限", "Deadline";
    Overdue => "已超期", "Overdue";
    NoDemands => "没有符合条件的诉求。", "No demand matches.";
    LoadMore => "加载更多", "Load more";
    Filters => "筛选", "Filters";

    // Demands: one demand.
    Timeline => "办理记录", "Timeline";
    NoEvents => "暂无记录。", "Nothing recorded yet.";
    OriginUnit => "来源社区（村）", "Raised in";
    Assists => "协办单位", "Co-handling units";
    ReplyDue => "答复期限", "Reply due";
    ResolveDue => "办结期限", "Resolution due";
    RepliedAt => "首次答复", "First reply";
    ResolvedAt => "办结时间", "Resolved";
    ClosedAt => "关闭时间", "Closed";
    Satisfaction => "满意度", "Satisfaction";
    Escalations => "上报次数", "Escalations";
    Reopenings => "重新办理次数", "Reopenings";
    MergedInto => "已合并至", "Merged into";
    Attachments => "附件", "Attachments";
    NoAttachments => "暂无附件。", "No attachments yet.";
    AttachFile => "上传附件", "Attach a file";
    AttachmentHint => "图片（JPEG、PNG、GIF、WebP）或 PDF，不超过 10 MB；文件的哈希值记入台账。", "An image (JPEG, PNG, GIF, WebP) or a PDF of at most 10 MB; its hash goes into the ledger.";
    RevealContact => "查看完整联系方式", "Show full contact details";
    RevealNote => "每次查看都会记入台账（查看人和时间）。", "Every view is recorded in the ledger (who and when).";
    System => "系统", "System";
    ActionsTitle => "办理操作", "Actions";
    ActAccept => "接收", "Accept";
    ActReject => "不予受理", "Reject";
    ActMerge => "合并重复诉求", "Merge as duplicate";
    ActReply => "答复进展", "Reply";
    ActResolve => "办结", "Resolve";
    ActGiveFeedback => "回访反馈", "Give feedback";
    ActRate => "满意度评价", "Rate";
    ActEscalate => "上报上级", "Escalate";
    ActReassign => "转办", "Reassign";
    ActAddAssist => "添加协办单位", "Add co-handling unit";
    ActRemoveAssist => "移除协办单位", "Remove co-handling unit";
    Note => "备注", "Note";
    ReasonField => "理由", "Reason";
    ReplyText => "答复内容", "Reply";
    ResolveText => "办理结果", "Outcome";
    FeedbackText => "回访情况", "Feedback";
    Comment => "评价意见", "Comment";
    MergeInto => "保留的诉求（回执编号）", "Demand to keep (receipt code)";
    MergeTargetNotFound => "未找到该回执编号的诉求。", "No demand has this receipt code.";
    Confirm => "确认", "Confirm";
    ChooseUnit => "请选择单位。", "Choose a unit.";
    DeadlineOfReply => "答复", "reply";
    DeadlineOfResolve => "办结", "resolution";
    EscalatedByRule => "逾期未办，按规则自动上报上级", "Overdue: escalated by the tier's rule";
    EvReceived => "登记受理", "Recorded";
    EvAccepted => "接收办理", "Accepted";
    EvRejected => "不予受理", "Rejected";
    EvMerged => "作为重复诉求合并", "Merged as a duplicate";
    EvAbsorbed => "合并了重复诉求", "A duplicate was merged in";
    EvReplied => "答复进展", "Progress reply";
    EvResolved => "办结", "Resolved";
    EvFeedbackGiven => "回访反馈", "Feedback given";
    EvRated => "群众评价", "Rated";
    EvEscalated => "上报上级办理", "Escalated";
    EvReassigned => "转办", "Reassigned";
    EvAssistAdded => "添加协办单位", "Co-handling unit added";
    EvAssistRemoved => "移除协办单位", "Co-handling unit removed";
    EvWarned => "临期提醒", "Deadline near";
    EvWentOverdue => "超过期限", "Went overdue";
    EvPersonalDataViewed => "查看了完整联系方式", "Viewed the contact details";
    EvAccountabilityRaised => "启动问责", "Accountability case opened";
    EvAttachmentAdded => "上传附件", "Attachment filed";

    // Accountability: warnings.
    WarningsTitle => "预警看板", "Warnings and overdue";
    WarningsHelp => "临期：期限将到，尚未答复或办结；逾期：已超过期限。最新的在前。", "Approaching: a deadline is near and still unmet. Overdue: it has passed. Newest first.";
    AllLevels => "全部", "All";
    LevelApproaching => "临期", "Approaching";
    LevelOverdue => "逾期", "Overdue";
    WithinUnit => "单位范围", "Within unit";
    Demand => "诉求", "Demand";
    WarningLevel => "级别", "Level";
    RaisedAt => "预警时间", "Raised";
    DueAt => "期限", "Due";
    NoWarnings => "没有符合条件的预警。", "No warning matches.";

    // Accountability: cases.
    CasesTitle => "问责案件", "Accountability cases";
    CaseTitle => "问责案件", "Accountability case";
    CasesHelp => "逾期严重或多次逾期的单位由系统立案；上级领导或租户管理员依次审查、决定、结案。", "Cases are opened by the system when a unit is seriously or repeatedly overdue; leaders or administrators over it review, decide and close them.";
    AllCases => "全部", "All";
    CaseUnit => "被问责单位", "Unit";
    CaseReason => "问责原因", "Reason";
    MissedDeadlines => "未按期完成", "Deadlines missed";
    ReasonSeriousOverdue => "严重逾期", "Seriously overdue";
    ReasonRepeatedOverdue => "多次逾期", "Repeatedly overdue";
    Outcome => "处理结果", "Outcome";
    OutcomeText => "决定说明", "Decision in words";
    OutcomeTextHint => "选择“其他”时必填。", "Required with Other.";
    ChooseOutcome => "请选择处理结果。", "Choose an outcome.";
    DecidedBy => "决定人", "Decided by";
    DecidedAt => "决定时间", "Decided";
    OpenedAt => "立案时间", "Opened";
    CaseClosedAt => "结案时间", "Closed";
    NoCases => "没有符合条件的问责案件。", "No case matches.";
    CaseNotFound => "问责案件不存在或不在您的查看范围内。", "This case does not exist or is outside your reach.";
    CaseSteps => "案件办理", "Next step";
    StepReview => "审查", "Review";
    StepDecide => "决定", "Decide";
    StepClose => "结案", "Close";
    StepReviewHelp => "开始审查：核实逾期原因和责任。", "Start the review: establish why it went overdue and who is responsible.";
    StepCloseHelp => "决定已执行，结案归档。", "The decision has been carried out: close the case.";
    CaseIsClosed => "本案件已结案。", "This case is closed.";
    CaseNeedsLeader => "问责案件由该单位的上级领导或租户管理员审查和决定。", "Leaders and administrators over the unit review and decide cases.";
    BackToCases => "问责案件", "Accountability cases";
    OpenDemand => "查看诉求", "Open the demand";

    // Demand settings (whole-tenant administrators).
    DemandSettingsTitle => "诉求设置", "Demand settings";
    TabCalendar => "节假日日历", "Holiday calendar";
    TabRules => "诉求规则", "Demand rules";
    TabCategories => "诉求类别", "Categories";
    TabNotifications => "通知渠道", "Notification channels";
    TabApiKeys => "接口密钥", "API keys";
    Year => "年份", "Year";
    Date => "日期", "Date";
    Weekday => "星期", "Weekday";
    DayKindLabel => "类型", "Kind";
    DayHoliday => "放假", "Holiday";
    DayWorkday => "调休上班", "Make-up working day";
    DayName => "名称", "Name";
    AddDay => "添加一天", "Add a day";
    CalendarHelp => "只需列出放假日和调休上班日：其余周一至周五为工作日，周六、周日休息。修改只影响此后计算的期限，已设定的期限不变。", "List only holidays and make-up working days: every other Monday–Friday is a working day, weekends are off. Changes apply to deadlines set from now on; those already set keep their dates.";
    HolidayCount => "放假天数", "Holidays";
    WorkdayCount => "调休上班天数", "Make-up days";
    NoDays => "该年尚无放假或调休安排。", "No holidays or make-up days this year.";
    UnsavedChanges => "有未保存的修改。", "Unsaved changes.";
    ImportCalendar => "从文件导入", "Import from a file";
    ImportCalendarHelp => "CSV 文件（UTF-8 或 GB18030），表头为 date,kind,name；kind 为 holiday（放假）或 workday（调休上班）。导入将替换该年的全部安排；有任何错误行时不导入。", "A CSV file (UTF-8 or GB18030) with the header date,kind,name; kind is holiday or workday. Importing replaces the whole year; a file with any bad line imports nothing.";
    Imported => "已导入。", "Imported.";
    RulesHelp => "新规则适用于此后登记或移交的诉求；已设定的期限不变。", "New rules apply to demands received or handed over from now on; deadlines already set keep their dates.";
    RoutingTitle => "分级办理", "Routing by grade";
    RoutingHelp => "每个诉求等级由哪一层级的单位办理。", "Which tier handles each grade.";
    HandlingTier => "办理层级", "Handling tier";
    DeadlinesTitle => "办理时限", "Deadlines";
    DeadlinesHelp => "留空表示不设该时限。", "Leave empty for no deadline.";
    ReplyDays => "答复时限（天）", "Reply within (days)";
    ResolveDays => "办结时限（天）", "Resolve within (days)";
    DayCountLabel => "计日方式", "Days counted as";
    WorkingDays => "工作日", "Working days";
    CalendarDays => "自然日", "Calendar days";
    AutoEscalate => "逾期自动上报", "Escalate when overdue";
    WarnHours => "提前预警（小时）", "Warn before (hours)";
    AccountabilityTitle => "问责规则", "Accountability";
    SeriousAfterDays => "逾期超过多少天为严重逾期", "Seriously overdue after (days)";
    RepeatedCount => "多次逾期：件数", "Repeatedly overdue: demands";
    RepeatedWindowDays => "多次逾期：统计天数", "Repeatedly overdue: within (days)";
    CryptoTitle => "密码算法", "Cryptography";
    HashAlgorithm => "台账哈希算法", "Ledger hash";
    CipherAlgorithm => "个人信息加密算法", "Personal-data cipher";
    CryptoNote => "修改只作用于此后写入的台账事件和个人信息；已有记录保留原算法，仍可校验和解密。", "A change applies to new ledger events and new personal data; existing records keep their algorithm and still verify and open.";
    WholeNumber => "请输入整数。", "Enter a whole number.";
    CategoriesHelp => "类别不会删除：停用后不再用于新诉求，已有诉求保留原类别。", "Categories are never deleted: a retired one is not offered for new demands and stays on old ones.";
    NewCategory => "新增类别", "New category";
    CategoryKey => "键（小写字母、数字、下划线）", "Key (a–z, 0–9, _)";
    Retire => "停用", "Retire";
    Restore => "恢复", "Bring back";
    Retired => "已停用", "Retired";
    InUse => "在用", "In use";
    ChannelsHelp => "通知以 JSON 发送到接收地址，并附 HMAC-SHA256 签名（x-minqing-signature）；失败会自动重试，不会丢失。", "Notifications are POSTed as JSON to the URL, signed with HMAC-SHA256 (x-minqing-signature); failures are retried, never dropped.";
    NewChannel => "新增通知渠道", "New channel";
    ChannelKindLabel => "渠道类型", "Kind";
    KindWebhook => "Webhook", "Webhook";
    KindSms => "短信网关", "SMS gateway";
    KindWechat => "微信消息", "WeChat relay";
    KindEmail => "邮件", "Email";
    Url => "接收地址（URL）", "URL";
    Secret => "签名密钥", "Signing secret";
    SecretHint => "16–200 个字符，用于签名；保存后不再显示。", "16–200 characters, for signing; never shown again.";
    Audience => "通知对象", "Audience";
    AudienceResidents => "群众", "Residents";
    AudienceCadres => "干部", "Cadres";
    AudienceAll => "群众和干部", "Everyone";
    ChannelEnabled => "启用中", "Enabled";
    NoChannels => "尚未配置通知渠道。", "No channels yet.";
    Deliveries => "最近投递", "Latest deliveries";
    Topic => "主题", "Topic";
    Attempts => "尝试次数", "Attempts";
    DeliveredAt => "送达时间", "Delivered";
    NextAttempt => "下次尝试", "Next attempt";
    LastError => "最近错误", "Last error";
    Delivered => "已送达", "Delivered";
    NoDeliveries => "暂无投递记录。", "Nothing sent yet.";
    CreatedAt => "创建时间", "Created";
    ApiKeysHelp => "接口密钥供 12345 热线、省级平台等外部渠道通过 Open311 接口（/open311/v2）登记诉求，仅限所选单位范围内。", "API keys let outside intake channels (a 12345 hotline, a province platform) file demands through Open311 (/open311/v2), only within the chosen unit.";
    NewApiKey => "新建接口密钥", "New API key";
    KeyName => "使用方", "Used by";
    KeyUnit => "可登记范围（单位）", "Unit it may file within";
    KeyOnce => "新的接口密钥如下。它只显示这一次，请立即复制并妥善保管；丢失后只能吊销再新建。", "Here is the new key. It is shown only this once: copy it now and keep it safe; if it is lost, revoke it and issue another.";
    KeyNotShown => "这是一次重复提交的答复，密钥不会再次显示。如未保存，请吊销后重新创建。", "This was a repeated submission, so the key is not shown again. If you did not save it, revoke it and issue another.";
    KeySaved => "我已保存", "I have saved it";
    Prefix => "前缀", "Prefix";
    Revoke => "吊销", "Revoke";
    ConfirmRevoke => "确认吊销", "Confirm: revoke";
    Revoked => "已吊销", "Revoked";
    NoApiKeys => "尚无接口密钥。", "No API keys yet.";

    // Demands: the resident's receipt page.
    ReceiptLookupTitle => "诉求办理进度查询", "Follow your demand";
    PublicFormTitle => "网上反映诉求", "Raise a demand online";
    PublicFormIntro => "您反映的诉求将按急、愁、难、盼分级交由相应单位办理，并在时限内答复。提交后请记下回执编号，凭编号查询办理进度。", "Your demand goes to the unit that must handle it, by how pressing it is, and is answered within the deadline. Keep the receipt code you get: it lets you follow the progress.";
    WhereYouLive => "所在社区（村）", "Your community or village";
    ChooseOne => "请选择…", "Choose…";
    PickCommunityBelow => "请继续选择，直到社区或村。", "Keep choosing until you reach your community or village.";
    PublicSubmitted => "已收到您的诉求。请记下回执编号：", "Your demand has been received. Keep this receipt code:";
    FollowProgress => "查看办理进度", "Follow its progress";
    PublicPhoneHint => "选填。留下电话可收到办理进展通知；号码加密保存，不会公开。", "Optional. Leave a phone number to hear of progress; it is stored encrypted and never shown publicly.";
    SubmitDemand => "提交诉求", "Submit";
    ReceiptLookupHelp => "请输入登记时获得的回执编号（12 位，短横线可省略）。", "Enter the receipt code you were given (12 characters; dashes optional).";
    LookUp => "查询", "Look up";
    Progress => "办理进度", "Progress";
    LookUpAnother => "查询其他编号", "Look up another code";
    RateTitle => "评价办理结果", "Rate how it was handled";
    RateHelp => "请您评价这次办理：选择“不满意”将退回重新办理。每次办结评价一次。", "Tell us how it was handled. Choosing Unsatisfied sends it back to be worked on again. One rating per resolution.";
    PhoneLast4 => "登记时所留手机号的后四位", "Last four digits of the phone you left";
    SubmitRating => "提交评价", "Send rating";
    ChooseRating => "请选择满意、基本满意或不满意。", "Choose Satisfied, Basically satisfied or Unsatisfied.";
    RatingThanks => "感谢您的评价。", "Thank you for your rating.";
}

/// The name of a role in a language.
pub fn role_label(role: Role, lang: Lang) -> &'static str {
    let (zh, en) = role.labels();
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// One of a pair of labels `(zh, en)`, as the domain gives them (`Grade::labels`, …).
pub fn pick(labels: (&'static str, &'static str), lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => labels.0,
        Lang::En => labels.1,
    }
}

/// A weekday's short name (Monday first).
pub fn weekday_label(day: chrono::Weekday, lang: Lang) -> &'static str {
    const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = day.num_days_from_monday() as usize;
    match lang {
        Lang::Zh => ZH[i],
        Lang::En => EN[i],
    }
}

/// Why a case was opened, in words (`serious_overdue`, `repeated_overdue`).
pub fn case_reason_text(reason: &str) -> Option<Text> {
    match reason {
        "serious_overdue" => Some(Text::ReasonSeriousOverdue),
        "repeated_overdue" => Some(Text::ReasonRepeatedOverdue),
        _ => None,
    }
}

/// A deadline's name (答复 / 办结).
pub fn deadline_text(kind: DeadlineKind) -> Text {
    match kind {
        DeadlineKind::Reply => Text::DeadlineOfReply,
        DeadlineKind::Resolve => Text::DeadlineOfResolve,
    }
}

/// Several deadlines in words: 答复、办结 / reply, resolution.
pub fn deadlines_words(kinds: &[DeadlineKind], lang: Lang) -> String {
    let sep = match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    };
    kinds
        .iter()
        .map(|k| deadline_text(*k).get(lang))
        .collect::<Vec<_>>()
        .join(sep)
}

/// What the sweeper wrote as an automatic escalation's reason before it recorded `by_rule`;
/// read as the rule's words in the reader's language.
const LEGACY_RULE_ESCALATION: &str = "逾期未办，按规则自动上报 (overdue: escalated by rule)";

/// A ledger event's notes in the reader's language: the deadlines it is about, the system's
/// own entries (a case's reason, an escalation by rule) in words, and a person's words as they
/// wrote them.
pub fn event_notes(
    kind: &str,
    data: &serde_json::Value,
    lang: Lang,
) -> (Option<String>, Vec<String>) {
    let kinds: Vec<DeadlineKind> = ["deadline", "also_missed"]
        .into_iter()
        .filter_map(|f| data.get(f))
        .flat_map(|v| match v {
            serde_json::Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        })
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    let deadlines = (!kinds.is_empty()).then(|| deadlines_words(&kinds, lang));
    let by_rule = data.get("by_rule").and_then(serde_json::Value::as_bool) == Some(true);
    let notes = ["text", "reason", "note", "comment", "file_name"]
        .into_iter()
        .filter_map(|f| {
            let raw = data
                .get(f)
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .trim();
            let words = match (kind, f) {
                ("accountability_raised", "reason") => {
                    case_reason_text(raw).map(|t| t.get(lang).to_owned())
                }
                ("escalated", "reason") if by_rule || raw == LEGACY_RULE_ESCALATION => {
                    Some(Text::EscalatedByRule.get(lang).to_owned())
                }
                _ => None,
            };
            words.or_else(|| (!raw.is_empty()).then(|| raw.to_owned()))
        })
        .collect();
    (deadlines, notes)
}

/// The action's name on its button.
pub fn action_text(action: Action) -> Text {
    match action {
        Action::Accept => Text::ActAccept,
        Action::Reject => Text::ActReject,
        Action::Merge => Text::ActMerge,
        Action::Reply => Text::ActReply,
        Action::Resolve => Text::ActResolve,
        Action::GiveFeedback => Text::ActGiveFeedback,
        Action::Rate => Text::ActRate,
        Action::Escalate => Text::ActEscalate,
        Action::Reassign => Text::ActReassign,
        Action::AddAssist => Text::ActAddAssist,
        Action::RemoveAssist => Text::ActRemoveAssist,
    }
}

/// A ledger event's kind as a phrase; `None` for a kind this portal does not know yet.
pub fn event_text(kind: &str) -> Option<Text> {
    Some(match kind {
        "received" => Text::EvReceived,
        "accepted" => Text::EvAccepted,
        "rejected" => Text::EvRejected,
        "merged" => Text::EvMerged,
        "absorbed" => Text::EvAbsorbed,
        "replied" => Text::EvReplied,
        "resolved" => Text::EvResolved,
        "feedback_given" => Text::EvFeedbackGiven,
        "rated" => Text::EvRated,
        "escalated" => Text::EvEscalated,
        "reassigned" => Text::EvReassigned,
        "assist_added" => Text::EvAssistAdded,
        "assist_removed" => Text::EvAssistRemoved,
        "warned" => Text::EvWarned,
        "went_overdue" => Text::EvWentOverdue,
        "personal_data_viewed" => Text::EvPersonalDataViewed,
        "accountability_raised" => Text::EvAccountabilityRaised,
        "attachment_added" => Text::EvAttachmentAdded,
        _ => return None,
    })
}

/// A reactive text: use it as a view child or an attribute value (`placeholder=tr(Text::X)`).
pub fn tr(key: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = use_portal().lang;
    move || key.get(lang.get())
}

/// The language the first render uses: the server is handed it (from the cookie) as context;
/// the browser reads the same cookie, so hydration sees the same texts.
pub fn initial_lang() -> Lang {
    #[cfg(feature = "hydrate")]
    {
        browser::cookie_lang().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use_context::<Lang>().unwrap_or_default()
    }
}

/// Switches the language in place (no reload) and remembers it for the server's next render.
pub fn set_lang(lang_signal: RwSignal<Lang>, lang: Lang) {
    lang_signal.set(lang);
    #[cfg(feature = "hydrate")]
    browser::remember_lang(lang);
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::JsCast;
    use minqing_domain::i18n::Lang;

    use super::LANG_COOKIE;

    fn html_document() -> Option<web_sys::HtmlDocument> {
        leptos::prelude::document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
    }

    pub fn cookie_lang() -> Option<Lang> {
        let cookies = html_document()?.cookie().ok()?;
        cookies.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == LANG_COOKIE).then(|| Lang::parse(value)).flatten()
        })
    }

    pub fn remember_lang(lang: Lang) {
        if let Some(doc) = html_document() {
            let cookie = format!(
                "{LANG_COOKIE}={}; path=/; max-age=31536000; samesite=lax",
                lang.as_str()
            );
            let _ = doc.set_cookie(&cookie);
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", lang.tag());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_systems_entries_read_in_the_readers_language_only() {
        let case = serde_json::json!({
            "case": "01a214d6-3920-7795-87e3-7c3f2ed2573b", "deadline": "reply",
            "also_missed": ["resolve"], "reason": "serious_overdue"
        });
        assert_eq!(
            event_notes("accountability_raised", &case, Lang::Zh),
            (Some("答复、办结".to_owned()), vec!["严重逾期".to_owned()])
        );
        assert_eq!(
            event_notes("accountability_raised", &case, Lang::En).1,
            ["Seriously overdue"]
        );
        // An escalation by rule, as recorded now and as the sweeper once wrote it.
        for data in [
            serde_json::json!({"reason": "", "by_rule": true}),
            serde_json::json!({"reason": LEGACY_RULE_ESCALATION}),
        ] {
            assert_eq!(
                event_notes("escalated", &data, Lang::En),
                (
                    None,
                    vec!["Overdue: escalated by the tier's rule".to_owned()]
                )
            );
            assert_eq!(
                event_notes("escalated", &data, Lang::Zh).1,
                ["逾期未办，按规则自动上报上级"]
            );
        }
        // A person's words stay theirs, in whatever language they wrote.
        let by_hand = serde_json::json!({"reason": "serious_overdue"});
        assert_eq!(
            event_notes("escalated", &by_hand, Lang::En).1,
            ["serious_overdue"]
        );
    }

    #[test]
    fn chinese_and_english_texts_differ_and_exist() {
        assert_eq!(Text::LogIn.get(Lang::Zh), "登录");
        assert_eq!(Text::LogIn.get(Lang::En), "Log in");
        assert_eq!(role_label(Role::TenantAdmin, Lang::Zh), "租户管理员");
    }
}
