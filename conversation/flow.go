package conversation

import "github.com/regbot/regbot/domain"

// The states of the dialogue, in the manual's order (SPEC §2).
const (
	StStart      State = "start"
	StNotice     State = "notice"
	StMember     State = "member"
	StEnterprise State = "ent"
	StLogin      State = "login"
	StUserName   State = "uname"
	StIDNumber   State = "idno"
	StPassword   State = "pwd"
	StPassword2  State = "pwd2"
	StCreditCode State = "uscc"
	StCreditOK   State = "usccok"
	StLegalRep   State = "legal"
	StCapital    State = "cap"
	StFounded    State = "founded"
	StTerm       State = "term"
	StIndustry   State = "industry"
	StUserType   State = "utype"
	StUserTypeOK State = "utypeok"
	StRegion     State = "region"
	StRegAddress State = "regaddr"
	StBank       State = "bank"
	StBankName   State = "bankname"
	StBankAcct   State = "bankacct"
	StContact    State = "contact"
	StPosition   State = "position"
	StMobile     State = "mobile"
	StEmail      State = "email"
	StLandline   State = "tel"
	StFax        State = "fax"
	StMailAddr   State = "mailaddr"
	StPostcode   State = "postcode"
	StAttCatalog State = "attcat"
	StAttLicence State = "attlic"
	StMktAccount State = "mkt"
	StMktPwd     State = "mktpwd"
	StPoints     State = "points"
	StUnitType   State = "unittype"
	StUnitHE     State = "unithe"
	StMore       State = "more"
	StSummary    State = "summary"
	StEdit       State = "edit"
	StSubmitted  State = "submitted"
)

// Event names a transition out of a state.
type Event string

const (
	evNext    Event = "next"    // the answer was accepted
	evConfirm Event = "confirm" // the answer needs a confirmation first
	evRetry   Event = "retry"   // ask the question before again
	evMore    Event = "more"    // loop: another unit / account
	evEdit    Event = "edit"    // open the edit menu
	evStay    Event = "stay"    // handled; ask the same question again
	evNone    Event = ""        // handled; the handler already replied
)

// accepts is a set of input kinds a state takes.
type accepts uint8

const (
	aText accepts = 1 << iota
	aButton
	aDocument
	aContact
)

// step is one row of the flow table: a state, the question it asks, the
// inputs it takes, how it reads an answer into the draft, and where each
// outcome leads.
type step struct {
	State   State
	Group   string // the field it fills; steps of one group are edited together
	Accepts accepts
	Secret  bool // the user's message is deleted, whatever it holds
	Prompt  func(*turn) Reply
	Handle  func(*turn) (Event, error)
	Next    map[Event]State
	OnBack  func(*turn) // called when /back leaves this state
}

// flow is the whole dialogue, in order: the order of progress ("step N of
// M") and of the edit menu. It is filled in init from flowTable, which breaks
// the initialisation cycle between the table and the handlers that read it.
var flow []step

func flowTable() []step {
	return []step{
		{State: StStart, Accepts: aButton, Prompt: promptStart, Handle: handleStart, Next: next(StNotice)},
		{State: StNotice, Accepts: aButton, Prompt: promptNotice, Handle: handleNotice, Next: next(StMember)},
		{State: StMember, Accepts: aButton, Prompt: promptMember, Handle: handleMember, Next: next(StEnterprise)},

		// 账号信息
		{State: StEnterprise, Group: "enterprise", Accepts: aText | aButton, Prompt: promptEnterprise, Handle: handleEnterprise, Next: next(StLogin)},
		{State: StLogin, Group: "login", Accepts: aText | aButton, Prompt: promptLogin, Handle: handleLogin, Next: next(StUserName)},
		{State: StUserName, Group: "uname", Accepts: aText | aButton, Prompt: promptUserName, Handle: handleUserName, Next: next(StIDNumber)},
		{State: StIDNumber, Group: "idno", Accepts: aText, Secret: true, Prompt: textPrompt("idno.prompt"), Handle: handleIDNumber, Next: next(StPassword)},
		{State: StPassword, Group: "pwd", Accepts: aText, Secret: true, Prompt: textPrompt("pwd.prompt"), Handle: handlePassword, Next: next(StPassword2)},
		{State: StPassword2, Group: "pwd", Accepts: aText, Secret: true, Prompt: textPrompt("pwd2.prompt"), Handle: handlePassword2, Next: map[Event]State{evNext: StCreditCode, evRetry: StPassword}},

		// 基本信息
		{State: StCreditCode, Group: "uscc", Accepts: aText | aButton, Prompt: promptCreditCode, Handle: handleCreditCode, Next: map[Event]State{evNext: StLegalRep, evConfirm: StCreditOK}},
		{State: StCreditOK, Group: "uscc", Accepts: aButton, Prompt: promptCreditOK, Handle: handleCreditOK, Next: map[Event]State{evNext: StLegalRep, evRetry: StCreditCode}},
		{State: StLegalRep, Group: "legal", Accepts: aText, Prompt: textPrompt("legalrep.prompt"), Handle: textField(personName("legal_rep_name"), func(a *domain.Application, v string) { a.Basic.LegalRepName = v }), Next: next(StCapital)},
		{State: StCapital, Group: "cap", Accepts: aText, Prompt: textPrompt("capital.prompt"), Handle: textField(domain.ParseCapital, func(a *domain.Application, v string) { a.Basic.RegisteredCapital = v }), Next: next(StFounded)},
		{State: StFounded, Group: "founded", Accepts: aText, Prompt: textPrompt("founded.prompt"), Handle: handleFounded, Next: next(StTerm)},
		{State: StTerm, Group: "term", Accepts: aText | aButton, Prompt: promptTerm, Handle: handleTerm, Next: next(StIndustry)},
		{State: StIndustry, Group: "industry", Accepts: aText, Prompt: textPrompt("industry.prompt"), Handle: textField(freeText("industry", 50), func(a *domain.Application, v string) { a.Basic.Industry = v }), Next: next(StUserType)},
		{State: StUserType, Group: "utype", Accepts: aButton, Prompt: promptUserType, Handle: handleUserType, Next: map[Event]State{evConfirm: StUserTypeOK}},
		{State: StUserTypeOK, Group: "utype", Accepts: aButton, Prompt: promptUserTypeOK, Handle: handleUserTypeOK, Next: map[Event]State{evNext: StRegion, evRetry: StUserType}},
		{State: StRegion, Group: "region", Accepts: aText | aButton, Prompt: promptRegion, Handle: handleRegion, Next: next(StRegAddress)},
		{State: StRegAddress, Group: "regaddr", Accepts: aText, Prompt: textPrompt("regaddr.prompt"), Handle: textField(freeText("registered_address", 100), func(a *domain.Application, v string) { a.Basic.RegisteredAddress = v }), Next: next(StBank)},

		// 商务信息
		{State: StBank, Group: "bank", Accepts: aText, Prompt: textPrompt("bank.prompt"), Handle: textField(freeText("bank_name", 60), func(a *domain.Application, v string) { a.Business.BankName = v }), Next: next(StBankName)},
		{State: StBankName, Group: "bankname", Accepts: aText | aButton, Prompt: promptBankName, Handle: textField(freeText("bank_account_name", 60), func(a *domain.Application, v string) { a.Business.AccountName = v }), Next: next(StBankAcct)},
		{State: StBankAcct, Group: "bankacct", Accepts: aText, Prompt: textPrompt("bankacct.prompt"), Handle: textField(domain.ParseBankAccount, func(a *domain.Application, v string) { a.Business.AccountNumber = v }), Next: next(StContact)},

		// 联系信息
		{State: StContact, Group: "contact", Accepts: aText, Prompt: textPrompt("contact.prompt"), Handle: textField(personName("contact_person"), func(a *domain.Application, v string) { a.Contact.Person = v }), Next: next(StPosition)},
		{State: StPosition, Group: "position", Accepts: aText, Prompt: textPrompt("position.prompt"), Handle: textField(freeText("contact_position", 30), func(a *domain.Application, v string) { a.Contact.Position = v }), Next: next(StMobile)},
		{State: StMobile, Group: "mobile", Accepts: aText | aContact, Prompt: promptMobile, Handle: handleMobile, Next: next(StEmail)},
		{State: StEmail, Group: "email", Accepts: aText, Prompt: textPrompt("email.prompt"), Handle: textField(domain.ParseEmail, func(a *domain.Application, v string) { a.Contact.Email = v }), Next: next(StLandline)},
		{State: StLandline, Group: "tel", Accepts: aText | aButton, Prompt: skippable("landline.prompt"), Handle: optionalField(domain.ParseLandline, func(a *domain.Application, v string) { a.Contact.Landline = v }), Next: next(StFax)},
		{State: StFax, Group: "fax", Accepts: aText | aButton, Prompt: skippable("fax.prompt"), Handle: optionalField(domain.ParseLandline, func(a *domain.Application, v string) { a.Contact.Fax = v }), Next: next(StMailAddr)},
		{State: StMailAddr, Group: "mailaddr", Accepts: aText | aButton, Prompt: promptMailAddr, Handle: handleMailAddr, Next: next(StPostcode)},
		{State: StPostcode, Group: "postcode", Accepts: aText, Prompt: textPrompt("postcode.prompt"), Handle: textField(domain.ParsePostcode, func(a *domain.Application, v string) { a.Contact.Postcode = v }), Next: next(StAttCatalog)},

		// 附件
		{State: StAttCatalog, Group: "attcat", Accepts: aDocument, Prompt: textPrompt("att.catalog.prompt"), Handle: attachment(domain.AttachmentCatalog), Next: next(StAttLicence)},
		{State: StAttLicence, Group: "attlic", Accepts: aDocument, Prompt: textPrompt("att.licence.prompt"), Handle: attachment(domain.AttachmentLicence), Next: next(StMktAccount)},

		// 用电单元
		{State: StMktAccount, Group: "units", Accepts: aText, Prompt: textPrompt("mkt.prompt"), Handle: handleMktAccount, Next: next(StMktPwd)},
		{State: StMktPwd, Group: "units", Accepts: aText, Secret: true, Prompt: promptMktPwd, Handle: handleMktPwd, Next: map[Event]State{evNext: StPoints, evRetry: StMktAccount}},
		{State: StPoints, Group: "units", Accepts: aButton, Prompt: promptPoints, Handle: handlePoints, Next: next(StUnitType)},
		{State: StUnitType, Group: "units", Accepts: aButton, Prompt: promptUnitType, Handle: handleUnitType, Next: next(StUnitHE), OnBack: backUnitType},
		{State: StUnitHE, Group: "units", Accepts: aButton, Prompt: promptUnitHE, Handle: handleUnitHE, Next: map[Event]State{evNext: StMore, evMore: StUnitType}},
		{State: StMore, Group: "units", Accepts: aButton, Prompt: promptMore, Handle: handleMore, Next: map[Event]State{evNext: StSummary, evMore: StMktAccount}},

		{State: StSummary, Accepts: aButton, Prompt: promptSummary, Handle: handleSummary, Next: map[Event]State{evNext: StSubmitted, evEdit: StEdit}},
		{State: StEdit, Accepts: aButton, Prompt: promptEdit, Handle: handleEdit, Next: next(StSummary)},
		{State: StSubmitted, Accepts: aButton, Prompt: promptSubmitted, Handle: handleSubmitted, Next: next(StSummary)},
	}
}

func next(s State) map[Event]State { return map[Event]State{evNext: s} }

// steps indexes flow by state; position gives a state's place in the flow.
var (
	steps    = map[State]*step{}
	position = map[State]int{}
)

func init() {
	flow = flowTable()
	for i := range flow {
		steps[flow[i].State] = &flow[i]
		position[flow[i].State] = i
	}
}
