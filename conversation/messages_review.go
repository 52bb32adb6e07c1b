package conversation

// reviewMessages are the texts of the review group's workflow and of the
// decision messages applicants get, merged into messages at init. Keys are
// distinct from those in messages.go; init panics on a clash so that one
// file never silently overrides the other.
var reviewMessages = map[string][2]string{
	"review.tampered":     {"按钮无效（校验不通过），未做任何更改。", "Invalid button (failed its check); nothing changed."},
	"review.stale":        {"该通知对应的版本已过期，请用 /show %s 查看最新版本。", "This notice is out of date; use /show %s for the current version."},
	"review.already_at":   {"该申请已由 %s 于 %s %s。", "Already %[3]s by %[1]s at %[2]s."},
	"review.verb_approve": {"通过", "approved"},
	"review.verb_reject":  {"驳回", "rejected"},
	"review.last_reject":  {"上次驳回：%s · %s\n原因：%s", "Last rejected by %s at %s\nReason: %s"},
	"review.diff_title":   {"与驳回时相比的修改：", "Changed since the rejection:"},
	"review.diff_none":    {"与驳回时相比没有修改。", "Nothing changed since the rejection."},
	"review.diff_file":    {"%s（文件已更换）", "%s (new file)"},
	"review.diff_added":   {"新增", "added"},
	"review.diff_removed": {"删除", "removed"},
	"review.diff_changed": {"已修改", "changed"},
	"review.empty":        {"（空）", "(empty)"},

	"review.status_draft":       {"草稿", "draft"},
	"review.status_submitted":   {"待审核", "pending"},
	"review.status_resubmitted": {"重新提交，待审核", "resubmitted, pending"},
	"review.status_approved":    {"已通过", "approved"},
	"review.status_rejected":    {"已驳回", "rejected"},
	"review.status_withdrawn":   {"已撤回", "withdrawn"},
	"review.show_head":          {"申请 %s · %s · 提交于 %s", "Application %s · %s · submitted %s"},
	"review.history":            {"审核记录：", "Decisions:"},
	"review.history_line":       {"%s %s %s", "%s %s %s"},
	"review.pending_line":       {"%s %s（已等待 %s）", "%s %s (waiting %s)"},
	"review.pending_more":       {"只列出最早的 %d 件。", "Only the oldest %d are listed."},
	"review.show_hint":          {"发送 /show 申请编号 查看详情和审核按钮。", "Send /show <reference> for details and buttons."},
	"review.show_usage":         {"用法：/show 申请编号，例如 /show CQ-20261125-000123", "Usage: /show <reference>, e.g. /show CQ-20261125-000123"},
	"review.find_usage":         {"用法：/find 关键词（企业名称、登录名、统一社会信用代码或申请编号的一部分）", "Usage: /find <keyword> (part of the enterprise name, login name, credit code or reference)"},
	"review.find_none":          {"没有找到与“%s”匹配的申请。", "No application matches \"%s\"."},
	"review.find_results":       {"与“%s”匹配的申请 %d 件：", "%[2]d applications match \"%[1]s\":"},
	"review.find_more":          {"只列出最新的 %d 件，请换用更具体的关键词。", "Only the latest %d are listed; use a more specific keyword."},
	"review.find_line":          {"%s %s · %s · %s", "%s %s · %s · %s"},
	"review.help": {"审核群命令：\n/pending 待审核的申请（最早的在前，含等待时间）\n/find 关键词 按企业名称、登录名、统一社会信用代码或申请编号查找\n/show 申请编号 查看详情、审核记录和审核按钮\n\n审核：点“通过”即通过；点“驳回”后请回复提示消息填写原因。只有授权审核人员可以操作。",
		"Review group commands:\n/pending open applications, oldest first, with their age\n/find <keyword> search by enterprise name, login name, credit code or reference\n/show <reference> details, decisions and buttons\n\nTap Approve to approve; tap Reject and reply to the prompt with the reason. Only authorised reviewers can decide."},
	"age.days":    {"%d 天 %d 小时", "%dd %dh"},
	"age.hours":   {"%d 小时 %d 分钟", "%dh %dmin"},
	"age.minutes": {"%d 分钟", "%d min"},

	// The digital-certificate step after approval (manual step 7; facts.md
	// §4: CA or CFCA certificates on a Ukey, applied for or bound under
	// 证书申请 on the platform). Fees, validity and where to collect the key
	// are not verified, so the text sends the user to the exchange for them.
	"review.cert_required": {
		"下一步：办理数字证书（直接交易用户必须办理，未办理不能参与交易）\n1. 用登录名 %s 和注册时设置的密码登录重庆电力交易中心交易平台 https://pmos.cq.sgcc.com.cn\n2. 打开“证书申请”，申请 CA 或 CFCA 数字证书；已有 CFCA 证书的可直接申请绑定\n3. 证书存放在 Ukey（USB 证书介质）中：领取 Ukey 后插入电脑，按平台提示将证书绑定到本登录账号\n4. 此后报价、确认交易时须插入 Ukey，并注意证书有效期\n证书费用、有效期和 Ukey 领取方式以交易中心的通知为准。",
		"Next: obtain a digital certificate (required for direct-trading users; without it you cannot trade)\n1. Log in to the Chongqing Power Exchange's trading platform https://pmos.cq.sgcc.com.cn with login name %s and the password you chose\n2. Open 证书申请 (certificate application) and apply for a CA or CFCA certificate; an existing CFCA certificate can be bound instead\n3. The certificate lives on a Ukey (USB token): once you have it, plug it in and bind the certificate to this login as the platform guides you\n4. From then on, plug in the Ukey to bid and confirm trades, and watch its expiry date\nFees, validity and where to collect the Ukey are as the exchange announces.",
	},
	"review.cert_optional": {
		"数字证书（零售用户可选）：由售电公司代理交易的零售用户不强制办理。如需自行在交易平台确认或交易，可用登录名 %s 登录 https://pmos.cq.sgcc.com.cn，在“证书申请”中申请 CA 或 CFCA 证书（存放在 Ukey 中），或绑定已有的 CFCA 证书。",
		"Digital certificate (optional for retail users): retail users represented by a retail company need not obtain one. To confirm or trade on the platform yourself, log in to https://pmos.cq.sgcc.com.cn with login name %s and apply under 证书申请 for a CA or CFCA certificate (on a Ukey), or bind an existing CFCA certificate.",
	},
}

func init() {
	for k, v := range reviewMessages {
		if _, dup := messages[k]; dup {
			panic("conversation: message key " + k + " defined twice")
		}
		messages[k] = v
	}
}
