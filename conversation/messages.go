package conversation

import (
	"fmt"
	"strings"
)

// Languages the bot speaks; the first is the default.
const (
	LangZH = "zh"
	LangEN = "en"
)

// messages holds every user-facing text: key → {Simplified Chinese, English}.
// Texts are plain (no markup); %s/%d verbs take the arguments given to t.
var messages = map[string][2]string{
	// --- start, notice, member type
	"start.prompt": {
		"您好！我是重庆电力交易中心电力用户注册助手，将一步步帮您完成电力用户注册。\n\n请先准备好：\n• 营业执照（三证合一）PDF 文件\n• 准入目录文件 PDF\n• 法定代表人身份证号码\n• 每个营销户号及其查询密码（可致电 95598 获取）\n• 银行开户信息与联系人信息\n\n随时可用：/help 帮助 · /back 上一步 · /cancel 放弃 · /status 进度 · /lang English · /privacy 隐私说明 · /delete 删除草稿",
		"Hello! I help enterprises register as electricity users on the Chongqing Power Exchange Center's trading platform, step by step.\n\nPlease have at hand:\n• the business licence (three-in-one) as a PDF\n• the access-catalog file as a PDF\n• the legal representative's ID number\n• every marketing account number with its query password (ask 95598)\n• bank and contact details\n\nAny time: /help · /back · /cancel · /status · /lang 中文 · /privacy · /delete",
	},
	"start.begin":        {"开始注册", "Start registration"},
	"start.resume":       {"您有一份未完成的注册，要继续还是重新开始？", "You have an unfinished registration. Continue, or start over?"},
	"start.continue":     {"继续填写", "Continue"},
	"start.over":         {"重新开始", "Start over"},
	"notice.prompt":      {"【注册须知】\n1. 请如实填写企业信息，所填信息须与营业执照一致。\n2. 企业全称须从经信委准入目录中选择。\n3. 用户类型分为直接交易用户（与电厂直接交易）和零售用户（由售电公司代理），请谨慎选择。\n4. 用电单元须通过营销户号查询计量点生成，不得自行新建。\n5. 提交后由交易中心审核，审核结果将通过本对话通知您。\n\n请阅读后点击下方按钮同意条款。", "Registration notice\n1. Give true information that matches the business licence.\n2. The enterprise's full name is chosen from the access catalog.\n3. The user type is either direct-trading (trades with power plants) or retail (represented by a retail company); choose carefully.\n4. Consumption units are generated from the metering points of your marketing accounts, never created by hand.\n5. The exchange reviews your submission; you will be told the result in this chat.\n\nPlease read it and press the button to agree."},
	"notice.accept":      {"我已阅读注册须知并同意条款", "I have read the notice and agree"},
	"member.prompt":      {"请选择市场成员类型：", "Choose the market member type:"},
	"member.electricity": {"电力用户", "Electricity user"},
	"member.retail":      {"售电公司", "Retail company"},
	"member.generator":   {"发电企业", "Power generator"},
	"member.other":       {"本助手只办理电力用户注册。售电公司和发电企业请登录重庆电力交易中心交易平台网站注册：https://pmos.cq.sgcc.com.cn", "This assistant registers electricity users only. Retail companies and generators register on the trading platform's website: https://pmos.cq.sgcc.com.cn"},

	// --- account info
	"ent.prompt":      {"【账号信息】请输入企业名称中的关键词（如“某某机械”），我会在准入目录中查找。", "Account info. Type a keyword of the enterprise's name (e.g. 某某机械) and I will search the access catalog."},
	"ent.prompt_free": {"【账号信息】请输入企业全称（与营业执照一致）：", "Account info. Type the enterprise's full name as on the business licence:"},
	"ent.results":     {"找到 %d 家企业，请选择（第 %d/%d 页）：", "Matching enterprises: %d; choose one (page %d/%d):"},
	"ent.none":        {"准入目录中没有找到“%s”。只有列入准入目录的企业才能注册，请换个关键词再试。", "No enterprise matching \"%s\" is in the access catalog. Only listed enterprises can register; try another keyword."},
	"ent.short":       {"关键词至少 2 个字。", "The keyword needs at least 2 characters."},
	"ent.chosen":      {"已选择：%s", "Chosen: %s"},
	"ent.name_han":    {"企业全称应包含汉字。", "The full name must contain Chinese characters."},
	"progress":        {"（第 %d/%d 步 · %s）", "(Step %d of %d · %s)"},
	"previous":        {"↩ 沿用：%s", "↩ Keep: %s"},
	"page.prev":       {"‹ 上一页", "‹ Prev"},
	"page.next":       {"下一页 ›", "Next ›"},
	"login.prompt":    {"请设置登录名（6-20 位字母或数字，例如 cqmmgsjyy）。建议使用企业拼音首字母，可点击建议直接使用：", "Choose a login name (6–20 letters or digits). The enterprise's pinyin initials are suggested; tap to use:"},
	"login.taken":     {"登录名 %s 已被使用，请换一个（可在末尾加数字）。", "The login name %s is taken; choose another (add digits at the end)."},
	"username.prompt": {"请设置用户名（汉字，不超过 33 个字），例如：", "Choose a user name (Chinese characters, at most 33), for example:"},
	"idno.prompt":     {"请输入法定代表人身份证号码（18 位）。为保护隐私，您发送的消息会被立即删除。", "Type the legal representative's ID number (18 characters). Your message will be deleted at once to protect it."},
	"idno.saved":      {"已记录身份证号码：%s（原消息已删除）", "ID number recorded: %s (your message was deleted)"},
	"pwd.prompt":      {"请设置平台登录密码：8-20 位，须同时包含字母、数字和特殊符号，不能包含空格或登录名。消息会被立即删除。", "Choose the platform password: 8–20 characters with letters, digits and special symbols, no spaces, not containing the login name. Your message will be deleted at once."},
	"pwd2.prompt":     {"请再次输入密码以确认（消息会被立即删除）：", "Type the password again to confirm (the message will be deleted):"},
	"pwd.mismatch":    {"两次输入的密码不一致，请重新设置。", "The passwords differ; please choose it again."},
	"pwd.saved":       {"密码已设置（只保存加密摘要，原消息已删除）。", "Password set (only a slow hash is kept; your messages were deleted)."},

	// --- basic info
	"uscc.prompt":      {"【基本信息】请输入统一社会信用代码（18 位，见营业执照，例如 91500112MA0000015A）。组织机构代码和税务登记证号将自动生成（三证合一）。", "Basic info. Type the unified social credit code (18 characters, on the business licence). The organisation code and tax number are derived from it."},
	"uscc.prefill":     {"使用目录中的代码 %s", "Use the catalog's code %s"},
	"uscc.confirm":     {"代码 %s 的校验位不符合国家标准。部分早期代码确实如此，请对照营业执照核对。确认无误吗？（确认后审核人员会看到该提示）", "The check character of %s does not match the national standard. Some early codes are like that; please check it against the licence. Is it right? (Reviewers will see a note.)"},
	"uscc.sure":        {"我确认无误", "Yes, it is right"},
	"uscc.retype":      {"重新输入", "Type it again"},
	"legalrep.prompt":  {"请输入法定代表人姓名，例如 张三：", "Type the legal representative's name, e.g. 张三:"},
	"capital.prompt":   {"请输入注册资本（万元），例如 500：", "Type the registered capital in 10,000 CNY, e.g. 500:"},
	"founded.prompt":   {"请输入成立日期，例如 2010-05-20：", "Type the founding date, e.g. 2010-05-20:"},
	"founded.future":   {"成立日期不能晚于今天。", "The founding date cannot be in the future."},
	"term.prompt":      {"请输入营业期限截止日期（例如 2040-05-19），长期有效请点“长期”：", "Type the end of the business term (e.g. 2040-05-19), or tap \"Open-ended\":"},
	"term.open":        {"长期", "Open-ended"},
	"term.before":      {"营业期限不能早于成立日期。", "The business term cannot end before the founding date."},
	"industry.prompt":  {"请输入所属行业，例如 通用设备制造业：", "Type the industry, e.g. 通用设备制造业 (general equipment manufacturing):"},
	"usertype.prompt":  {"请选择用户类型：\n• 直接交易用户：与发电企业直接进行交易（须办理数字证书）\n• 零售用户：由售电公司代理交易\n选错会影响交易方式，请谨慎选择。", "Choose the user type:\n• Direct-trading user: trades directly with power plants (needs a digital certificate)\n• Retail user: represented by a retail company\nA wrong choice is costly; choose carefully."},
	"usertype.direct":  {"直接交易用户", "Direct-trading user"},
	"usertype.retail":  {"零售用户", "Retail user"},
	"usertype.confirm": {"您选择的是“%s”，确认吗？", "You chose \"%s\". Confirm?"},
	"usertype.yes":     {"确认", "Confirm"},
	"usertype.no":      {"重新选择", "Choose again"},
	"region.prompt":    {"请选择地理区域（重庆市 › 区县，第 %d/%d 页），也可直接输入区县名称：", "Choose the region (Chongqing › district, page %d/%d), or type the district's name:"},
	"region.unknown":   {"没有找到区县“%s”，请从按钮中选择。", "No district named \"%s\"; please choose from the buttons."},
	"regaddr.prompt":   {"请输入注册地址（与营业执照一致），例如 重庆市渝北区某某路1号：", "Type the registered address as on the licence, e.g. 重庆市渝北区某某路1号:"},

	// --- business info
	"bank.prompt":     {"【商务信息】请输入基本账户开户银行，例如 中国工商银行重庆渝北支行：", "Business info. Type the bank of the basic account, e.g. 中国工商银行重庆渝北支行:"},
	"bankname.prompt": {"请输入开户名称（通常为企业全称）：", "Type the account name (usually the enterprise's full name):"},
	"bankacct.prompt": {"请输入银行账号（纯数字，例如 3100021109024412345）：", "Type the bank account number (digits only, e.g. 3100021109024412345):"},

	// --- contact info
	"contact.prompt":  {"【联系信息】请输入联系人姓名，例如 李四：", "Contact info. Type the contact person's name, e.g. 李四:"},
	"position.prompt": {"请输入联系人职务，例如 能源主管：", "Type the contact's position, e.g. energy manager:"},
	"mobile.prompt":   {"请输入联系人手机号，或点击下方按钮分享本人号码：", "Type the contact's mobile number, or tap the button below to share yours:"},
	"mobile.share":    {"📱 分享我的手机号", "📱 Share my number"},
	"mobile.not_own":  {"请分享您本人的联系人名片，或直接输入手机号。", "Please share your own contact, or type the number."},
	"email.prompt":    {"请输入电子邮箱，例如 energy@example.com：", "Type the e-mail address, e.g. energy@example.com:"},
	"landline.prompt": {"请输入办公电话（如 023-63001234），没有可跳过：", "Type the office phone (e.g. 023-63001234), or skip:"},
	"fax.prompt":      {"请输入传真号码，没有可跳过：", "Type the fax number, or skip:"},
	"skip":            {"跳过", "Skip"},
	"mailaddr.prompt": {"请输入通信地址，例如 重庆市渝北区某某路1号：", "Type the mailing address, e.g. 重庆市渝北区某某路1号:"},
	"mailaddr.same":   {"同注册地址", "Same as registered address"},
	"postcode.prompt": {"请输入邮政编码（6 位数字），例如 401120：", "Type the postcode (6 digits), e.g. 401120:"},

	// --- attachments
	"att.catalog.prompt": {"【附件】请以“文件”形式发送准入目录文件（PDF，不超过 10MB）：", "Attachments. Send the access-catalog file as a document (PDF, at most 10 MB):"},
	"att.licence.prompt": {"请以“文件”形式发送营业执照（三证合一）扫描件（PDF，不超过 10MB）：", "Send the business licence (three-in-one) as a document (PDF, at most 10 MB):"},
	"att.saved":          {"已收到文件：%s", "File received: %s"},
	"att.resend":         {"文件下载失败，请重新发送。", "The file could not be downloaded; please send it again."},
	"att.convert":        {"收到的是图片。要把它转换为一页 PDF，作为“%s”吗？（清晰的扫描件 PDF 更好）", "That is an image. Turn it into a one-page PDF as the %s? (A clear scanned PDF is better.)"},
	"att.convert_yes":    {"转换为 PDF", "Convert to PDF"},
	"att.convert_no":     {"重新发送", "Send another file"},
	"image.unsupported":  {"只支持 JPEG 或 PNG 图片，或直接发送 PDF。", "Only JPEG or PNG images can be converted; or send a PDF."},
	"image.broken":       {"图片无法读取，请重新拍摄或发送 PDF。", "The image cannot be read; take it again or send a PDF."},
	"image.too_large":    {"图片尺寸过大，请压缩后重新发送。", "The image is too large; please shrink it and send it again."},
	"att.photo":          {"图片下载失败，请重新发送，或将扫描件以 PDF 文件发送（点击📎选择“文件”）。", "The photo could not be fetched; send it again, or send the scan as a PDF document (📎 → File)."},

	// --- units
	"mkt.prompt":        {"【用电单元】请输入营销户号（8-16 位数字，见电费单或“网上国网”App），例如 5000000001：", "Consumption units. Type the marketing account number (8–16 digits, on the electricity bill or in the 网上国网 app), e.g. 5000000001:"},
	"mkt.dup":           {"营销户号 %s 已添加过。", "Marketing account %s has been added already."},
	"mktpwd.prompt":     {"请输入营销户号 %s 的查询密码（可致电 95598 获取）。消息会被立即删除，密码不会被保存。", "Type the query password of account %s (ask 95598). The message will be deleted and the password is never stored."},
	"mktpwd.querying":   {"正在查询营销系统…", "Querying the marketing system…"},
	"points.prompt":     {"营销户号 %s 下共有 %d 个计量点。请勾选参加直接交易的计量点（不确定可咨询 95598），然后点“生成用电单元”：", "Account %s has %d metering points. Tick those that take part in direct trading (ask 95598 if unsure), then tap \"Generate units\":"},
	"points.generate":   {"生成用电单元（已选 %d 个）", "Generate units (%d ticked)"},
	"points.taken":      {"该计量点已被其他注册申请使用，不能重复生成。", "This metering point already belongs to another application."},
	"points.taken_note": {"⛔ 表示该计量点已被其他注册申请使用。", "⛔ marks points that already belong to another application."},
	"points.none":       {"请至少勾选一个计量点。", "Tick at least one metering point."},
	"unittype.prompt":   {"用电单元 %d/%d：%s\n地址：%s\n电压等级：%s\n请选择用电单元类型：", "Unit %d/%d: %s\nAddress: %s\nVoltage: %s\nChoose the unit type:"},
	"unithe.prompt":     {"用电单元 %d/%d：%s\n请选择高耗能行业类别（不属于请选“非高耗能行业”）：", "Unit %d/%d: %s\nChoose the high-energy-consumption industry (or \"not high-energy\"):"},
	"unithe.none":       {"非高耗能行业", "Not high-energy"},
	"more.prompt":       {"已生成 %d 个用电单元。企业还有其他营销户号吗？", "%d consumption units generated. Does the enterprise have another marketing account?"},
	"more.add":          {"➕ 添加其他营销户号", "➕ Add another account"},
	"more.done":         {"没有了，查看汇总", "No, show the summary"},

	// --- summary, submit, status
	"summary.title":       {"【注册信息汇总】请核对：", "Summary: please check"},
	"summary.submit":      {"✅ 提交", "✅ Submit"},
	"summary.edit":        {"✏️ 修改", "✏️ Edit"},
	"edit.prompt":         {"请选择要修改的内容：", "What do you want to change?"},
	"edit.change_account": {"🔄 更换户号 %s（删除其用电单元并重新查询）", "🔄 Change account %s (drops its units, queries again)"},
	"edit.remove_unit":    {"🗑 删除 %s %s", "🗑 Remove %s %s"},
	"edit.back":           {"返回汇总", "Back to summary"},
	"submit.done":         {"已提交！申请编号：%s\n交易中心审核后会在此通知您。可随时发送 /status 查看状态。", "Submitted! Reference: %s\nThe exchange will tell you its decision here. Send /status any time."},
	"submit.incomplete":   {"还有内容未填写完整：%s", "Something is still missing: %s"},
	"status.draft":        {"注册进行中：第 %d/%d 步（%s）。", "Registration in progress: step %d of %d (%s)."},
	"status.none":         {"您还没有开始注册，发送 /start 开始。", "You have not started; send /start."},
	"status.submitted":    {"申请 %s 已提交，正在等待交易中心审核（提交于 %s）。", "Application %s is waiting for the exchange's review (submitted %s)."},
	"status.approved":     {"申请 %s 已审核通过。", "Application %s has been approved."},
	"status.rejected":     {"申请 %s 未通过审核。", "Application %s was rejected."},
	"decision.approved":   {"🎉 您的注册申请 %s 已审核通过！\n%s", "🎉 Your application %s has been approved!\n%s"},
	"cert.required":       {"直接交易用户须办理数字证书（CA/CFCA）后方可交易：请登录交易平台，在“证书申请”中在线申请或绑定已有证书。", "Direct-trading users need a digital certificate (CA/CFCA) to trade: log in to the platform and apply or bind one under 证书申请."},
	"cert.optional":       {"零售用户可根据需要办理数字证书（非强制），可在交易平台“证书申请”中办理。", "Retail users may obtain a digital certificate if they wish (optional), under 证书申请 on the platform."},
	"decision.rejected":   {"很抱歉，您的注册申请 %s 未通过审核。\n原因：%s\n您可以修改后重新提交。", "Sorry, your application %s was rejected.\nReason: %s\nYou can edit it and submit again."},
	"resubmit.button":     {"修改并重新提交", "Edit and resubmit"},

	// --- commands and errors
	"help.generic":          {"请按提示回答当前问题。/back 返回上一步，/cancel 放弃注册，/status 查看进度，/lang 切换语言，/privacy 隐私说明。", "Answer the current question. /back goes to the previous one, /cancel discards the draft, /status shows progress, /lang switches language, /privacy explains what is stored."},
	"back.first":            {"已经是第一步了。", "This is the first question."},
	"cancel.confirm":        {"确定放弃本次注册吗？已填写的内容将被删除。", "Discard this registration? Everything entered so far will be deleted."},
	"cancel.yes":            {"放弃注册", "Discard"},
	"cancel.no":             {"继续填写", "Keep going"},
	"cancel.done":           {"已放弃本次注册，草稿已删除。发送 /start 可重新开始。", "Discarded; the draft is deleted. Send /start to begin again."},
	"delete.done":           {"草稿和您上传的文件已全部删除。发送 /start 可重新开始。", "Your draft and uploaded files have been erased. Send /start to begin again."},
	"delete.done_submitted": {"本对话中的草稿数据已删除。已提交的申请由交易中心保存，如需撤回请联系交易中心。", "The draft data of this chat is erased. The submitted application is kept by the exchange; contact them to withdraw it."},
	"remind.idle":           {"您的电力用户注册还没有完成（进行到第 %d/%d 步 · %s）。点击下方按钮继续，已填写的内容都保留着。", "Your registration is not finished yet (step %d of %d · %s). Tap below to continue; everything you entered is kept."},
	"remind.expiry":         {"提醒：您的注册草稿（第 %d/%d 步 · %s）将在 3 天后因长期未操作而自动删除。如需继续，请点击下方按钮。", "Reminder: your draft (step %d of %d · %s) will be deleted in 3 days for inactivity. Tap below to continue."},
	"lang.switched":         {"已切换为简体中文。", "Switched to English."},
	"privacy":               {"隐私说明：\n• 注册草稿保存在本服务的缓存中，30 天无操作自动删除；/cancel 确认后删除，/delete 立即删除草稿及上传的文件。\n• 身份证号码加密存储，只显示部分号码。\n• 登录密码只保存不可逆的加密摘要。\n• 营销户号查询密码只用于本次查询，从不保存。\n• 提交的申请由重庆电力交易中心保存和审核。", "Privacy:\n• Your draft is kept in this service's cache and deleted after 30 days without activity; /cancel deletes it after a confirmation, /delete erases it and your uploaded files at once.\n• The ID number is stored encrypted and shown masked.\n• Only a one-way hash of the password is stored.\n• Query passwords are used for the one query and never stored.\n• Submitted applications are kept and reviewed by the Chongqing Power Exchange Center."},
	"unknown.command":       {"不认识这个命令。", "Unknown command."},
	"stale.button":          {"这个按钮已过期。", "That button has expired."},
	"expect.text":           {"这里需要输入文字。", "Please type your answer."},
	"expect.button":         {"请点击上方的按钮选择。", "Please tap one of the buttons."},
	"expect.document":       {"这里需要以“文件”形式发送 PDF。", "Please send a PDF as a document."},
	"expect.contact":        {"请输入手机号或分享联系人。", "Please type the number or share your contact."},
	"retry.later":           {"系统繁忙，请稍后再试，您已填写的内容不会丢失。", "The system is busy; please try again shortly. Nothing you entered is lost."},
	"mkt.down":              {"营销系统暂时无法访问。您的草稿已保存，请稍后再发送查询密码重试。", "The marketing system is unavailable right now. Your draft is kept; send the query password again later."},
	"mkt.wrong":             {"查询密码不正确（第 %d 次）。请核对后重新输入，可致电 95598 获取。", "Wrong query password (attempt %d). Check it and try again; 95598 can tell you."},
	"mkt.unknown":           {"营销户号 %s 不存在，请核对后重新输入。", "Marketing account %s does not exist; check it and type it again."},
	"mkt.empty":             {"营销户号 %s 下没有可用的计量点，请核对户号或咨询 95598。", "Account %s has no metering points; check the number or ask 95598."},
	"mkt.locked":            {"该营销户号查询密码错误次数过多，已锁定 1 小时，请稍后再试，或先添加其他户号。您的草稿已保存。", "Too many wrong passwords for this account; it is locked for an hour. Try later, or add another account first. Your draft is kept."},

	// --- reasons of domain errors (domain.Error.Reason)
	"idnumber.length":             {"身份证号码应为 18 位。", "The ID number has 18 characters."},
	"idnumber.chars":              {"身份证号码前 17 位是数字，最后一位是数字或 X。", "An ID number is 17 digits followed by a digit or X."},
	"idnumber.region":             {"身份证号码的前两位不是有效的省级代码。", "The first two digits are not a valid province code."},
	"idnumber.birthdate":          {"身份证号码中的出生日期无效。", "The date of birth in the ID number is not valid."},
	"idnumber.checksum":           {"身份证号码校验位不正确，请仔细核对。", "The check digit is wrong; please check the number."},
	"creditcode.length":           {"统一社会信用代码应为 18 位。", "A credit code has 18 characters."},
	"creditcode.chars":            {"统一社会信用代码含有无效字符（不使用 I、O、S、V、Z）。", "The credit code has invalid characters (I, O, S, V, Z are never used)."},
	"loginname.length":            {"登录名长度应为 6-20 位。", "The login name has 6–20 characters."},
	"loginname.chars":             {"登录名只能包含英文字母和数字。", "The login name may contain letters and digits only."},
	"username.length":             {"用户名应为 1-33 个汉字。", "The user name has 1–33 Chinese characters."},
	"username.chars":              {"用户名只能包含汉字。", "The user name may contain Chinese characters only."},
	"password.length":             {"密码长度应为 8-20 位。", "The password has 8–20 characters."},
	"password.chars":              {"密码只能使用英文字母、数字和英文符号，不能有空格。", "Use letters, digits and ASCII symbols only, no spaces."},
	"password.classes":            {"密码须同时包含字母、数字和特殊符号。", "The password needs letters, digits and special symbols."},
	"password.contains_login":     {"密码不能包含登录名（或其倒序）。", "The password must not contain the login name (or its reverse)."},
	"mobile.format":               {"手机号应为 11 位，以 13-19 开头，例如 13800138000。", "A mobile number has 11 digits starting 13–19, e.g. 13800138000."},
	"landline.format":             {"电话号码格式如 023-63001234。", "Use a number like 023-63001234."},
	"email.format":                {"电子邮箱格式不正确，例如 name@example.com。", "That is not an e-mail address, e.g. name@example.com."},
	"postcode.format":             {"邮政编码为 6 位数字，例如 401120。", "A postcode is 6 digits, e.g. 401120."},
	"text.empty":                  {"内容不能为空。", "This cannot be empty."},
	"text.too_long":               {"内容太长了。", "That is too long."},
	"text.control":                {"内容含有不可见的控制字符。", "The text contains invisible control characters."},
	"name.length":                 {"姓名应为 2-30 个字。", "A name has 2–30 characters."},
	"name.chars":                  {"姓名只能是汉字，或英文字母、空格和连字符。", "A name is Chinese characters, or Latin letters, spaces and hyphens."},
	"capital.format":              {"请输入数字（万元），例如 500 或 1200.5。", "Type a number (10,000 CNY), e.g. 500 or 1200.5."},
	"date.format":                 {"日期格式如 2010-05-20。", "Use a date like 2010-05-20."},
	"account.format":              {"营销户号为 8-16 位数字。", "A marketing account number is 8–16 digits."},
	"bankaccount.format":          {"银行账号为 6-32 位数字。", "A bank account number is 6–32 digits."},
	"pdf.too_large":               {"文件超过 10MB，请压缩后重新发送。", "The file is over 10 MB; please compress it and send it again."},
	"pdf.not_pdf":                 {"这不是 PDF 文件，请发送 PDF 格式的扫描件。", "That is not a PDF; please send the scan as a PDF."},
	"pdf.broken":                  {"PDF 文件已损坏，无法打开，请重新导出后发送。", "The PDF is damaged and cannot be opened; please export it again."},
	"pdf.encrypted":               {"PDF 文件设置了密码或加密，请发送未加密的文件。", "The PDF is encrypted; please send an unencrypted file."},
	"application.incomplete":      {"信息不完整。", "Information is incomplete."},
	"application.no_units":        {"至少需要一个用电单元。", "At least one consumption unit is needed."},
	"application.unit_incomplete": {"有用电单元未选择类型或高耗能类别。", "A unit lacks its type or high-energy category."},
	"application.duplicate_point": {"同一计量点不能重复生成用电单元。", "A metering point appears twice."},
	"invalid.generic":             {"输入不正确。", "That is not valid."},

	// --- review group
	"review.new":           {"📝 新注册申请 %s", "📝 New application %s"},
	"review.resubmitted":   {"🔁 重新提交的申请 %s", "🔁 Resubmitted application %s"},
	"review.approve":       {"通过", "Approve"},
	"review.reject":        {"驳回", "Reject"},
	"review.details":       {"详情", "Details"},
	"review.not_reviewer":  {"您不是授权审核人员。", "You are not an authorised reviewer."},
	"review.wrong_chat":    {"只能在审核群中操作。", "Only in the review group."},
	"review.already":       {"该申请已由 %s 处理（%s）。", "Already decided by %s (%s)."},
	"review.approved_by":   {"✅ 已通过 · %s · %s", "✅ Approved · %s · %s"},
	"review.rejected_by":   {"❌ 已驳回 · %s · %s\n原因：%s", "❌ Rejected · %s · %s\nReason: %s"},
	"review.reason_prompt": {"请回复本消息，填写驳回申请 %s 的原因（至少 2 个字）。%s", "Reply to this message with the reason for rejecting %s (at least 2 characters). %s"},
	"review.reason_short":  {"驳回原因太短，请回复驳回提示重新填写。", "The reason is too short; reply to the prompt again."},
	"review.pending":       {"待审核申请 %d 件：", "%d applications pending:"},
	"review.pending_none":  {"目前没有待审核的申请。", "Nothing is pending."},
	"review.notfound":      {"申请不存在。", "No such application."},
}

// t renders the text of key in lang with args.
func t(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == LangEN && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// langOf picks the session language from a client language code.
func langOf(hint string) string {
	if strings.HasPrefix(strings.ToLower(hint), "en") {
		return LangEN
	}
	return LangZH
}
