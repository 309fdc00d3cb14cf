//! The catalog of people-facing messages for stable codes, in 简体中文 (default) and English.
//! The API answers in the caller's `Accept-Language`; the portal shows the same texts.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks the first supported language of an `Accept-Language` header; Chinese by default.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut bits = part.trim().split(';');
            let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = bits
                .find_map(|b| {
                    b.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    pub fn parse(raw: &str) -> Option<Lang> {
        match raw {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The BCP 47 tag for `<html lang>` and `Accept-Language`.
    pub fn tag(&self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// The message for a stable code; unknown codes fall back to a generic text naming the code.
pub fn message(code: &str, lang: Lang) -> String {
    let (zh, en) = match code {
        // Request-level errors.
        "unauthenticated" => ("请先登录。", "Please log in first."),
        "invalid_credentials" => (
            "租户、用户名或密码不正确。",
            "Tenant, username or password is incorrect.",
        ),
        "control_character" => (
            "内容含有控制字符（如 U+0000），无法保存；制表符、换行和回车除外。请删去后重试。",
            "The text holds a control character (such as U+0000), which cannot be stored; only tab, newline and carriage return are allowed. Remove it and try again.",
        ),
        "demand_changed" => (
            "该诉求刚被他人办理，请刷新后查看最新状态再操作。",
            "Someone else has just acted on this demand; reload it and try again.",
        ),
        "submission_throttled" => (
            "提交过于频繁，请一小时后再试，或到社区工作室、拨打热线反映。",
            "Too many submissions from here; try again in an hour, or raise it at the community workroom or on the hotline.",
        ),
        "login_throttled" => (
            "登录失败次数过多，请15分钟后再试。",
            "Too many failed logins; try again in 15 minutes.",
        ),
        "tenant_suspended" => (
            "该租户已暂停使用，请联系平台运维。",
            "This tenant is suspended; contact the platform operator.",
        ),
        "account_disabled" => (
            "该账号已停用，请联系管理员。",
            "This account is disabled; contact your administrator.",
        ),
        "password_change_required" => (
            "请先修改初始密码。",
            "Please change your initial password first.",
        ),
        "forbidden" => ("您的角色无权执行此操作。", "Your role may not do this."),
        "not_found" => (
            "未找到，或您无权查看。",
            "Not found, or not visible to you.",
        ),
        "csrf_failed" => (
            "页面已过期，请刷新后重试。",
            "The page has expired; reload it and try again.",
        ),
        "malformed_json" => (
            "请求内容不是有效的 JSON。",
            "The request body is not valid JSON.",
        ),
        "invalid_body" => (
            "请求内容的字段或类型不正确。",
            "The request body has wrong fields or types.",
        ),
        "unsupported_media_type" => (
            "请求的内容类型不受支持。",
            "The request's content type is not supported.",
        ),
        "payload_too_large" => ("请求内容过大。", "The request body is too large."),
        "invalid_id" => ("编号格式不正确。", "The id is not a valid UUID."),
        "invalid_query" => ("查询参数不正确。", "The query parameters are not valid."),
        "invalid_cursor" => (
            "分页游标无效，请从第一页重新开始。",
            "The page cursor is not valid; start again from the first page.",
        ),
        "invalid_limit" => (
            "每页条数须在 1 到 500 之间。",
            "limit must be between 1 and 500.",
        ),
        "validation_failed" => ("请检查标出的字段。", "Please check the marked fields."),
        "idempotency_key_reused" => (
            "该幂等键已用于另一个请求。",
            "This Idempotency-Key was used for a different request.",
        ),
        "idempotency_key_in_use" => (
            "使用同一幂等键的请求仍在处理中，请稍后重试以取回结果。",
            "A request with this Idempotency-Key is still being processed; retry shortly for its answer.",
        ),
        "import_invalid" => (
            "文件有错误行，未导入任何数据。",
            "The file has bad rows; nothing was imported.",
        ),
        "import_unreadable" => (
            "无法读取该文件，请上传 CSV 或 XLSX。",
            "The file cannot be read; upload a CSV or XLSX file.",
        ),
        "import_empty" => ("文件中没有数据行。", "The file has no data rows."),
        "import_bad_header" => (
            "表头须为 code,parent_code,level,name。",
            "The header must be code,parent_code,level,name.",
        ),
        "member_bad_header" => (
            "表头须以 unit_code,name,category,role,term_start 开头（或导出文件的 单位代码,姓名,类别,职务,任期开始），其后可加 term_end,organisation,phone。",
            "The header must start unit_code,name,category,role,term_start (or the export's 单位代码,姓名,类别,职务,任期开始), optionally followed by term_end,organisation,phone.",
        ),
        "household_bad_header" => (
            "表头须以 address,head_name 开头（或 住址,户主），其后可加 phone,flags,members（联系电话,标记,人数）。",
            "The header must start address,head_name (or 住址,户主), optionally followed by phone,flags,members (联系电话,标记,人数).",
        ),
        "account_bad_header" => (
            "表头须为 username,display_name,role,unit_code，可再加 password。",
            "The header must be username,display_name,role,unit_code, optionally followed by password.",
        ),
        "method_not_allowed" => (
            "该地址不支持这种请求方法。",
            "This address does not accept that request method.",
        ),
        "rate_limited" => (
            "请求过于频繁，请稍后再试。",
            "Too many requests; try again shortly.",
        ),
        "internal" => (
            "服务器内部错误，已记录，请稍后再试。",
            "Internal error; it has been logged. Try again later.",
        ),
        "unavailable" => ("服务暂不可用。", "Service unavailable."),
        // State conflicts.
        "slug_taken" => ("该租户标识已被使用。", "This slug is already taken."),
        "code_taken" => (
            "该区划代码在本租户中已存在。",
            "This code already exists in this tenant.",
        ),
        "username_taken" => ("该用户名已存在。", "This username already exists."),
        "tier_exists" => ("该层级已存在。", "This tier already exists."),
        "tier_in_use" => (
            "已有单位使用该层级或其下层级，不能增删。",
            "Units use this tier or a tier below it; it cannot be added or removed.",
        ),
        "move_into_own_subtree" => (
            "不能把单位移到它自己的下级。",
            "A unit cannot move into its own subtree.",
        ),
        "unit_archived" => ("该单位已归档。", "This unit is archived."),
        "parent_archived" => ("上级单位已归档。", "The parent unit is archived."),
        "wrong_parent_level" => (
            "上级单位必须正好高一个层级。",
            "The parent must be exactly one tier up.",
        ),
        "no_tier_below" => (
            "该单位已在最低层级，不能再添加下级。",
            "This unit is on the lowest tier; it cannot have children.",
        ),
        "cannot_disable_self" => (
            "不能停用自己的账号。",
            "You cannot disable your own account.",
        ),
        "merge_into_self" => ("不能合并到自身。", "A unit cannot be merged into itself."),
        "merge_level_mismatch" => (
            "只能合并到同一层级的单位。",
            "A unit can only merge into a unit of the same tier.",
        ),
        "unit_has_children" => (
            "该单位仍有下级单位，请先迁移或合并它们。",
            "This unit still has children; move or merge them first.",
        ),
        // Field errors.
        "required" => ("必填。", "Required."),
        "too_long" => ("太长了。", "Too long."),
        "invalid_characters" => (
            "含有不允许的字符。",
            "Contains characters that are not allowed.",
        ),
        "invalid_slug" => (
            "须以小写字母开头，2–31 位小写字母、数字或连字符。",
            "2–31 lowercase letters, digits or hyphens, starting with a letter.",
        ),
        "slug_reserved" => ("该标识为保留字。", "This slug is reserved."),
        "invalid_tenant_kind" => (
            "类型须为 city 或 province。",
            "kind must be city or province.",
        ),
        "invalid_time_zone" => (
            "不是有效的时区名，例如 Asia/Shanghai。",
            "Not a valid time zone name, e.g. Asia/Shanghai.",
        ),
        "invalid_tier_key" => (
            "层级键须为 province、city、county、street 或 community。",
            "The tier key must be province, city, county, street or community.",
        ),
        "invalid_code" => (
            "代码须为 1–32 位字母、数字、- 或 _。",
            "The code must be 1–32 letters, digits, - or _.",
        ),
        "invalid_role" => ("未知角色。", "Unknown role."),
        "invalid_username" => (
            "用户名须为 2–64 位字母、数字、.、_ 或 -。",
            "The username must be 2–64 letters, digits, ., _ or -.",
        ),
        "password_too_short" => (
            "密码至少 10 位。",
            "The password needs at least 10 characters.",
        ),
        "password_too_long" => (
            "密码最多 128 位。",
            "The password can have at most 128 characters.",
        ),
        "password_too_simple" => (
            "密码须包含大写字母、小写字母、数字、符号中的至少三类。",
            "Use at least three of: uppercase, lowercase, digits, symbols.",
        ),
        "password_contains_username" => (
            "密码不能包含用户名。",
            "The password must not contain the username.",
        ),
        "password_reused" => (
            "新密码不能与当前密码相同。",
            "The new password must differ from the current one.",
        ),
        "wrong_password" => ("当前密码不正确。", "The current password is incorrect."),
        "unknown_unit" => (
            "单位不存在或不可见。",
            "The unit does not exist or is not visible.",
        ),
        "invalid_date" => ("日期格式须为 YYYY-MM-DD。", "Dates look like YYYY-MM-DD."),
        // Import row reasons.
        "missing_code" => ("缺少代码。", "The code is missing."),
        "duplicate_code" => ("代码在文件中重复。", "The code appears twice in the file."),
        "invalid_level" => (
            "层级须为本租户的层级序号（1 为最高层级）。",
            "level must be one of the tenant's tier numbers (1 = top).",
        ),
        "empty_name" => ("名称为空。", "The name is empty."),
        "missing_parent" => (
            "非最高层级的单位须填写上级代码。",
            "Only top-tier units may have no parent_code.",
        ),
        "parent_is_self" => (
            "上级代码不能是自身。",
            "parent_code cannot be the unit's own code.",
        ),
        "unknown_parent" => (
            "上级代码在文件和本租户中都不存在。",
            "parent_code is neither in the file nor in the tenant.",
        ),
        "wrong_level" => (
            "层级须比上级多一级。",
            "level must be the parent's level + 1.",
        ),
        "level_changed" => (
            "已有单位的层级不能通过导入修改。",
            "An existing unit's level cannot change through an import.",
        ),
        "undecodable" => (
            "该行的文字无法解码（请使用 UTF-8 或 GB18030/GBK）。",
            "This line's text cannot be decoded (use UTF-8 or GB18030/GBK).",
        ),
        "wrong_column_count" => ("列数不正确。", "Wrong number of columns."),
        "missing_username" => ("缺少用户名。", "The username is missing."),
        "unknown_unit_code" => (
            "单位代码在本租户中不存在。",
            "No unit of this tenant has this code.",
        ),
        "unit_outside_scope" => (
            "该单位不在您的管辖范围内。",
            "This unit is outside the subtree you administer.",
        ),
        "duplicate_grant" => (
            "同一账号的同一授权在文件中重复。",
            "The same grant appears twice for this account.",
        ),
        "conflicting_rows" => (
            "同一账号的各行姓名或密码不一致。",
            "Rows of this account disagree on its name or password.",
        ),
        "unknown_account" => ("账号不存在。", "Unknown account."),
        // Accountability, notifications, attachments.
        "illegal_case_transition" => (
            "问责案件当前的状态不允许此操作（须依次：审查、决定、结案）。",
            "The case's status does not allow this step (review, then decide, then close).",
        ),
        "invalid_case_status" => ("没有这个案件状态。", "No such case status."),
        "outcome_text_required" => (
            "选择“其他”时须写明处理决定。",
            "Describe the decision when the outcome is \"other\".",
        ),
        "accountability_rule_out_of_range" => (
            "问责规则的天数或次数超出允许范围。",
            "An accountability rule's days or count are out of range.",
        ),
        "invalid_warning_level" => (
            "预警级别须为 approaching（临期）或 overdue（逾期）。",
            "The level must be approaching or overdue.",
        ),
        "invalid_channel_kind" => (
            "渠道类型须为 webhook、sms、wechat 或 email。",
            "The channel kind must be webhook, sms, wechat or email.",
        ),
        "invalid_audience" => (
            "接收对象须为 residents（群众）、cadres（干部）或 all。",
            "The audience must be residents, cadres or all.",
        ),
        "invalid_url" => (
            "地址须以 http:// 或 https:// 开头。",
            "The address must start with http:// or https://.",
        ),
        "secret_length" => (
            "签名密钥须为 16 到 200 个字符。",
            "The signing secret must be 16–200 characters.",
        ),
        "unsupported_attachment_type" => (
            "只能上传图片（JPEG、PNG、GIF、WebP）或 PDF 文件。",
            "Only images (JPEG, PNG, GIF, WebP) or PDF files can be attached.",
        ),
        "attachment_too_large" => (
            "附件不能超过 10 MB。",
            "An attachment may be at most 10 MB.",
        ),
        // The demand ledger.
        "rating_not_yours" => (
            "满意度由群众本人评价（回执页面），或由办理单位以外的回访员电话回访后录入；办理单位不能为自己的工作评价。",
            "The rating is the resident's own (on the receipt page) or a follow-up reviewer's from outside the handling unit; a unit cannot rate its own work.",
        ),
        "rating_not_open" => (
            "这项诉求现在不能评价：办结并反馈后才能评价，每次办结只评价一次。",
            "This demand cannot be rated now: it is rated once its resolution is reported back, once per resolution.",
        ),
        "phone_digits_mismatch" => (
            "手机号后四位与登记时留下的号码不符。",
            "These are not the last four digits of the phone left with the demand.",
        ),
        "illegal_transition" => (
            "诉求当前的状态不允许此操作。",
            "The demand's current status does not allow this action.",
        ),
        "event_out_of_order" => ("台账记录顺序有误。", "A ledger event is out of order."),
        "assist_already_present" => (
            "该单位已在协办或主办此诉求。",
            "This unit already handles or assists with this demand.",
        ),
        "assist_not_present" => (
            "该单位不是此诉求的协办单位。",
            "This unit is not assisting with this demand.",
        ),
        "no_higher_tier" => (
            "已是最高层级，无法再上报。",
            "This is the top tier; there is nowhere higher to escalate to.",
        ),
        "origin_not_community" => (
            "诉求来源须为社区或村。",
            "A demand is raised in a community or village.",
        ),
        "unknown_category" => (
            "没有这个诉求类别，或已停用。",
            "No such demand category, or it is retired.",
        ),
        "invalid_category_key" => (
            "类别代码只能包含小写字母、数字和下划线（1–40 位）。",
            "A category key has 1–40 lowercase letters, digits or underscores.",
        ),
        "invalid_grade" => (
            "类别须为 急、愁、难 或 盼（urgent、worrying、hard、hoped_for）。",
            "The grade must be urgent, worrying, hard or hoped_for.",
        ),
        "invalid_channel" => (
            "来源渠道须为 家访、来访、入户访谈、网上 或 热线。",
            "The channel must be visit, walk_in, interview, online or hotline.",
        ),
        "invalid_satisfaction" => (
            "满意度须为 满意、基本满意 或 不满意。",
            "The rating must be satisfied, basically_satisfied or unsatisfied.",
        ),
        "invalid_status" => ("没有这个诉求状态。", "No such demand status."),
        "invalid_receipt_code" => (
            "回执编号应为 12 位字母或数字。",
            "A receipt code has 12 letters or digits.",
        ),
        "already_handling" => (
            "该单位已在承办此诉求。",
            "This unit already handles this demand.",
        ),
        "merge_into_itself" => (
            "诉求不能合并到自身。",
            "A demand cannot be merged into itself.",
        ),
        "unknown_demand" => (
            "未找到该诉求，或您无权查看。",
            "No such demand, or it is not visible to you.",
        ),
        "survivor_not_open" => (
            "目标诉求已关闭、已被合并或不予受理，不会再办理，不能合并进去。请合并到仍在办理的诉求，或单独办理本诉求。",
            "The target demand is closed, merged or rejected and will not be handled again, so nothing can be merged into it. Merge into a demand still being handled, or handle this one on its own.",
        ),
        "invalid_member_category" => (
            "理事类别无效：应为主要领导、单位代表、群众代表、退休人员、人大代表、政协委员或党代表。",
            "Unknown member category: use principal leader, unit representative, resident representative, retiree, NPC deputy, CPPCC member or party delegate.",
        ),
        "invalid_council_role" => (
            "理事职务无效：应为理事长、副理事长或理事。",
            "Unknown council role: use chair, vice-chair or member.",
        ),
        "term_ends_before_start" => (
            "任期结束日期早于开始日期。",
            "The term ends before it starts.",
        ),
        "council_has_chair" => (
            "该理事会在这段任期内已有理事长；请先结束其任期。",
            "This council already has a chair for that term; end their term first.",
        ),
        "too_many" => ("条目太多。", "Too many entries."),
        "missing_name" => ("缺少姓名。", "The name is missing."),
        "invalid_term_start" => (
            "任期开始日期无效：请写成 2024-01-01 或 2024/1/1。",
            "The term start is not a date: write it as 2024-01-01 or 2024/1/1.",
        ),
        "duplicate_member" => (
            "文件中重复出现同一理事（同一单位、姓名、职务和任期开始日期）。",
            "The same member (unit, name, role and term start) appears twice in the file.",
        ),
        // Contact points and visits.
        "notice_too_late" => (
            "公告发布太晚：须在家访开始前至少留出本租户规定的提前时间（默认24小时），以便群众安排参加。",
            "Too late for the notice: it must be out at least the tenant's lead time (24 hours by default) before the visit, so residents can come.",
        ),
        "notice_already_published" => (
            "该家访的公告已经发布。改期或取消会显示在公告上。",
            "This visit's notice is already out; a new time or a cancellation shows on it.",
        ),
        "visit_cancelled" => (
            "该家访已取消，不能再操作。",
            "This visit was cancelled; nothing more can be done with it.",
        ),
        "visit_already_held" => (
            "该家访已经举行，不能再改期或取消。",
            "This visit has taken place; it can no longer be moved or cancelled.",
        ),
        "visit_not_started" => (
            "家访尚未开始，还不能记录出席或纪要。",
            "The visit has not started yet; attendance and minutes come once it has.",
        ),
        "ends_before_start" => ("结束时间早于开始时间。", "It ends before it starts."),
        "visit_too_long" => ("一次家访最长12小时。", "A visit lasts at most 12 hours."),
        "more_than_residents" => (
            "不能多于出席群众人数。",
            "Cannot be more than the residents who came.",
        ),
        "out_of_range" => ("数值超出范围。", "The number is out of range."),
        "invalid_visit_status" => (
            "家访状态无效：应为 scheduled、published、held 或 cancelled。",
            "Unknown visit status: use scheduled, published, held or cancelled.",
        ),
        "contact_point_exists" => (
            "该领导与该社区（村）在这段时间内已有联系点。",
            "This leader is already paired with this community for that time.",
        ),
        "not_a_community" => (
            "联系点和家访须在社区或村一级。",
            "Contact points and visits are at a community or village.",
        ),
        "unknown_visit" => (
            "找不到该家访：诉求须来自本社区（村）的家访。",
            "No such visit at this demand's community.",
        ),
        // Households.
        "invalid_household_flag" => (
            "住户标记无效：应为老年人、空巢老人、残疾人、低保/低收入、留守儿童或退役军人。",
            "Unknown household flag: use elderly, empty-nest elderly, disability, low income, left-behind children or veteran.",
        ),
        "household_exists" => (
            "该社区（村）已登记这个住址。",
            "This address is already on the community's register.",
        ),
        "unknown_household" => (
            "住户须是本次家访所在社区（村）登记的住户。",
            "Each household must be on the register of the visit's community.",
        ),
        "missing_address" => ("缺少住址。", "The address is missing."),
        "duplicate_address" => (
            "文件中同一住址出现了两次。",
            "The same address appears twice in the file.",
        ),
        "invalid_members" => (
            "家庭人数应为整数。",
            "The number of members is not a whole number.",
        ),
        "interview_has_no_notice" => (
            "入户访谈不发布公告。",
            "An in-home interview is not announced.",
        ),
        "only_for_interviews" => (
            "只有入户访谈才指定住户。",
            "Only an in-home interview names a household.",
        ),
        "invalid_visit_kind" => (
            "家访类型无效：应为 visit 或 interview。",
            "Unknown visit kind: use visit or interview.",
        ),
        "unknown_host" => (
            "主持人须是本租户的有效账号。",
            "Each host must be an active account of this tenant.",
        ),
        "invalid_amount" => (
            "金额格式不正确：请写成 2200000 或 2,200,000.00（元）。",
            "The amount is not a number of yuan: write it as 2200000 or 2,200,000.00.",
        ),
        "invalid_grouping" => (
            "金额中的逗号只用于整数部分每三位分隔，如 2,200,000.00；小数请用小数点。",
            "Commas in an amount only group the yuan by three, as in 2,200,000.00; write decimals after a point.",
        ),
        "too_many_decimals" => (
            "金额最多保留两位小数（分）。",
            "An amount has at most two decimals (fen).",
        ),
        "amount_too_large" => ("金额过大。", "The amount is too large."),
        "amount_not_positive" => ("金额须大于零。", "The amount must be more than zero."),
        "budget_exceeded" => (
            "这笔支出将超出本单位本年度的预算。",
            "This expenditure would exceed the unit's budget for the year.",
        ),
        "approval_required" => (
            "超出预算的支出须注明审批人。",
            "Spending beyond the budget needs an approval.",
        ),
        "correction_exceeds_expenditure" => (
            "冲正金额超过了原支出尚未冲正的部分。",
            "The correction reverses more than is left of the expenditure.",
        ),
        "invalid_phone" => (
            "电话号码应为 7–20 位数字。",
            "A phone number has 7–20 digits.",
        ),
        "invalid_id_number" => (
            "身份证号码格式或校验位不正确。",
            "The ID number's format or check digit is wrong.",
        ),
        "invalid_hash_algorithm" => (
            "哈希算法须为 sha256 或 sm3。",
            "The hash algorithm must be sha256 or sm3.",
        ),
        "invalid_cipher_algorithm" => (
            "加密算法须为 aes256_gcm 或 sm4_gcm。",
            "The cipher must be aes256_gcm or sm4_gcm.",
        ),
        "duplicate_tier_rule" => (
            "同一层级只能有一条时限规则。",
            "Each tier may have one deadline rule.",
        ),
        "deadline_days_out_of_range" => (
            "时限天数须在 1 到 365 之间。",
            "Deadline days must be between 1 and 365.",
        ),
        "warn_hours_out_of_range" => (
            "预警提前时间不能超过 720 小时。",
            "Warnings may come at most 720 hours early.",
        ),
        "category_exists" => ("已有这个类别代码。", "This category key exists."),
        "calendar_date_outside_year" => (
            "日期不在所编辑的年份内。",
            "A date lies outside the year being edited.",
        ),
        "calendar_duplicate_date" => ("同一日期出现了两次。", "A date appears twice."),
        "calendar_bad_date" => ("日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."),
        "calendar_bad_kind" => (
            "类型须为 holiday（放假）或 workday（调休上班）。",
            "The kind must be holiday or workday (a make-up working day).",
        ),
        "calendar_name_too_long" => ("名称最长 100 个字。", "The name is at most 100 characters."),
        "calendar_bad_header" => (
            "第一行须为 date,kind,name。",
            "The first line must be date,kind,name.",
        ),
        "date_out_of_range" => (
            "日期须在 2000 年到 2100 年之间。",
            "The date must fall in the years 2000–2100.",
        ),
        "year_out_of_range" => (
            "年份须在 2000 到 2100 之间。",
            "The year must be 2000–2100.",
        ),
        "from_after_to" => (
            "开始日期晚于结束日期。",
            "The start date is after the end date.",
        ),
        "import_csv_only" => ("请上传 CSV 文件。", "Upload a CSV file."),
        "invalid_row" => (
            "这一行无法读取，请对照模板检查各列。",
            "This row cannot be read; check its columns against the template.",
        ),
        // Budgets and spending.
        "date_in_future" => ("日期不能晚于今天。", "The date cannot be later than today."),
        "fiscal_year_out_of_range" => (
            "年度须在 2000 到 2100 之间。",
            "The fiscal year must be 2000–2100.",
        ),
        "demand_or_project" => (
            "一笔支出要么关联诉求，要么填写项目，不能两者都填。",
            "A spending belongs either to a demand or to a project, not both.",
        ),
        "category_from_demand" => (
            "关联诉求的支出沿用诉求的类别，请不要另填类别。",
            "A spending for a demand takes the demand's category; leave the category empty.",
        ),
        "allocation_below_spending" => (
            "这样更正后，拨付总额将低于已支出的金额，无法更正。",
            "After this correction the allocations would total less than has been spent, so it cannot be made.",
        ),
        "correction_not_correctable" => (
            "更正记录本身不能再更正，请更正原记录。",
            "A correction cannot itself be corrected; correct the original entry.",
        ),
        "notice_lead_out_of_range" => (
            "提前公示时间须在 0 到 720 小时（30 天）之间。",
            "The notice lead time must be 0–720 hours (30 days).",
        ),
        "export_too_large" => (
            "符合条件的诉求超过 100000 条，无法一次导出。请缩小筛选范围（如受理日期、单位、类别或状态）后再导出。",
            "More than 100,000 demands match; narrow the filters (dates received, unit, category or status) and export again.",
        ),
        "invalid_export_format" => (
            "导出格式须为 xlsx 或 csv。",
            "The export format must be xlsx or csv.",
        ),
        _ => {
            return match lang {
                Lang::Zh => format!("错误：{code}"),
                Lang::En => format!("Error: {code}"),
            };
        }
    };
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_the_default_and_english_is_honoured() {
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, zh-CN;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("de"), Lang::Zh);
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        assert_eq!(
            message("unknown_parent", Lang::En),
            "parent_code is neither in the file nor in the tenant."
        );
        assert!(message("unknown_parent", Lang::Zh).contains("上级代码"));
        assert_eq!(message("no_such_code", Lang::En), "Error: no_such_code");
    }

    /// Where a stable code is handed to an error in the server's source, and whether the code
    /// is the first or the last string literal of what follows (up to the closing bracket).
    const CODE_SITES: &[(&str, Site)] = &[
        ("field(", Site::AfterName),
        ("conflict(", Site::First),
        ("ApiError::new(", Site::Last),
        ("with_code(", Site::First),
        ("fail(", Site::AfterName),
        ("ImportUnreadable(", Site::First),
        ("Err(\"", Site::Here),
        ("code: \"", Site::Here),
        ("reason: \"", Site::Here),
        ("unwrap_or(\"", Site::Here),
        ("None => \"", Site::Here),
        ("|_| \"", Site::Here),
        ("&'static str = \"", Site::Here),
        ("&str = \"", Site::Here),
    ];

    #[derive(Clone, Copy)]
    enum Site {
        /// The literal that starts right here (the marker ends with its opening quote).
        Here,
        /// The call's first argument, when it is a literal.
        First,
        /// The call's last argument, when it is a literal.
        Last,
        /// `(field, code)`: the second argument, or the only one.
        AfterName,
    }

    /// Constants of the shape `&str = "…"` that are not codes.
    const NOT_CODES: &[&str] = &[
        "grpc",
        "localhost",
        "minqing",
        "minqing_session",
        "nanchang",
        "platform",
        "unknown",
    ];

    fn looks_like_code(s: &str) -> bool {
        s.len() > 2
            && !NOT_CODES.contains(&s)
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// The arguments of the call `text` starts inside, trimmed, up to its closing bracket.
    fn arguments_of_call(text: &str) -> Vec<&str> {
        let (mut depth, mut args, mut start, mut in_string) = (0i32, Vec::new(), 0, false);
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                _ if in_string => {}
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => {
                    args.push(text[start..i].trim());
                    return args;
                }
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(text[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        args
    }

    /// The text of a string literal argument (`"code"`), else nothing.
    fn literal(arg: &str) -> Option<&str> {
        arg.strip_prefix('"')?.strip_suffix('"')
    }

    /// Every code the server's source hands to an error (tests left out), with the file.
    fn codes_in_source() -> Vec<(String, String)> {
        let backend = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![backend];
        let mut found = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("target") {
                        dirs.push(path);
                    }
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap();
                for (marker, site) in CODE_SITES {
                    for (at, _) in text.match_indices(marker) {
                        let after = &text[at + marker.len()..];
                        let args = || arguments_of_call(after);
                        let code = match site {
                            Site::Here => after.split('"').next(),
                            Site::First => args().first().and_then(|a| literal(a)),
                            Site::Last => args().last().and_then(|a| literal(a)),
                            Site::AfterName => {
                                let args = args();
                                args.get(args.len().min(2) - 1).and_then(|a| literal(a))
                            }
                        };
                        if let Some(code) = code.filter(|c| looks_like_code(c)) {
                            found.push((code.to_owned(), path.display().to_string()));
                        }
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    #[test]
    fn every_code_the_server_can_answer_has_words_in_both_languages() {
        let codes = codes_in_source();
        assert!(
            codes.len() > 200,
            "the scan found only {} codes",
            codes.len()
        );
        let missing: Vec<_> = codes
            .iter()
            .filter(|(code, _)| {
                message(code, Lang::Zh) == format!("错误：{code}")
                    || message(code, Lang::En) == format!("Error: {code}")
            })
            .collect();
        assert!(
            missing.is_empty(),
            "codes without a message in the catalog (backend/domain/src/i18n.rs):\n{}",
            missing
                .iter()
                .map(|(code, file)| format!("{code} ({file})"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
