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
	StAttCatImg  State = "attcatimg" // confirm turning an image into the catalog PDF
	StAttLicImg  State = "attlicimg" // confirm turning an image into the licence PDF
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
	aPhoto
)

// step is one row of the flow table: a state, the question it asks, the
// inputs it takes, how it reads an answer into the draft, and where each
// outcome leads.
type step struct {
	State   State
	Group   string // the field it fills; steps of one group are edited together
	Accepts accepts
	Secret  bool // the user's message is deleted, whatever it holds
	// Field, for a question answered with one text value, points at that
	// value in the draft: textField stores the answer there, and when the
	// question is asked again (/back, an edit) the old answer is offered as
	// a button.
	Field  func(*domain.Application) *string
	Prompt func(*turn) Reply
	Handle func(*turn) (Event, error)
	Next   map[Event]State
	OnBack func(*turn) // called when /back leaves this state
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
		{State: StLogin, Group: "login", Accepts: aText | aButton, Field: func(a *domain.Application) *string { return &a.Account.LoginName }, Prompt: promptLogin, Handle: handleLogin, Next: next(StUserName)},
		{State: StUserName, Group: "uname", Accepts: aText | aButton, Field: func(a *domain.Application) *string { return &a.Account.UserName }, Prompt: promptUserName, Handle: handleUserName, Next: next(StIDNumber)},
		{State: StIDNumber, Group: "idno", Accepts: aText, Secret: true, Prompt: textPrompt("idno.prompt"), Handle: handleIDNumber, Next: next(StPassword)},
		{State: StPassword, Group: "pwd", Accepts: aText, Secret: true, Prompt: textPrompt("pwd.prompt"), Handle: handlePassword, Next: next(StPassword2)},
		{State: StPassword2, Group: "pwd", Accepts: aText, Secret: true, Prompt: textPrompt("pwd2.prompt"), Handle: handlePassword2, Next: map[Event]State{evNext: StCreditCode, evRetry: StPassword}},

		// 基本信息
		{State: StCreditCode, Group: "uscc", Accepts: aText | aButton, Prompt: promptCreditCode, Handle: handleCreditCode, Next: map[Event]State{evNext: StLegalRep, evConfirm: StCreditOK}},
		{State: StCreditOK, Group: "uscc", Accepts: aButton, Prompt: promptCreditOK, Handle: handleCreditOK, Next: map[Event]State{evNext: StLegalRep, evRetry: StCreditCode}},
		{State: StLegalRep, Group: "legal", Accepts: aText, Prompt: textPrompt("legalrep.prompt"), Field: func(a *domain.Application) *string { return &a.Basic.LegalRepName }, Handle: textField(personName("legal_rep_name")), Next: next(StCapital)},
		{State: StCapital, Group: "cap", Accepts: aText, Prompt: textPrompt("capital.prompt"), Field: func(a *domain.Application) *string { return &a.Basic.RegisteredCapital }, Handle: textField(domain.ParseCapital), Next: next(StFounded)},
		{State: StFounded, Group: "founded", Accepts: aText, Prompt: textPrompt("founded.prompt"), Handle: handleFounded, Next: next(StTerm)},
		{State: StTerm, Group: "term", Accepts: aText | aButton, Prompt: promptTerm, Handle: handleTerm, Next: next(StIndustry)},
		{State: StIndustry, Group: "industry", Accepts: aText, Prompt: textPrompt("industry.prompt"), Field: func(a *domain.Application) *string { return &a.Basic.Industry }, Handle: textField(freeText("industry", 50)), Next: next(StUserType)},
		{State: StUserType, Group: "utype", Accepts: aButton, Prompt: promptUserType, Handle: handleUserType, Next: map[Event]State{evConfirm: StUserTypeOK}},
		{State: StUserTypeOK, Group: "utype", Accepts: aButton, Prompt: promptUserTypeOK, Handle: handleUserTypeOK, Next: map[Event]State{evNext: StRegion, evRetry: StUserType}},
		{State: StRegion, Group: "region", Accepts: aText | aButton, Prompt: promptRegion, Handle: handleRegion, Next: next(StRegAddress)},
		{State: StRegAddress, Group: "regaddr", Accepts: aText, Prompt: textPrompt("regaddr.prompt"), Field: func(a *domain.Application) *string { return &a.Basic.RegisteredAddress }, Handle: textField(freeText("registered_address", 100)), Next: next(StBank)},

		// 商务信息
		{State: StBank, Group: "bank", Accepts: aText, Prompt: textPrompt("bank.prompt"), Field: func(a *domain.Application) *string { return &a.Business.BankName }, Handle: textField(freeText("bank_name", 60)), Next: next(StBankName)},
		{State: StBankName, Group: "bankname", Accepts: aText | aButton, Prompt: promptBankName, Field: func(a *domain.Application) *string { return &a.Business.AccountName }, Handle: textField(freeText("bank_account_name", 60)), Next: next(StBankAcct)},
		{State: StBankAcct, Group: "bankacct", Accepts: aText, Prompt: textPrompt("bankacct.prompt"), Field: func(a *domain.Application) *string { return &a.Business.AccountNumber }, Handle: textField(domain.ParseBankAccount), Next: next(StContact)},

		// 联系信息
		{State: StContact, Group: "contact", Accepts: aText, Prompt: textPrompt("contact.prompt"), Field: func(a *domain.Application) *string { return &a.Contact.Person }, Handle: textField(personName("contact_person")), Next: next(StPosition)},
		{State: StPosition, Group: "position", Accepts: aText, Prompt: textPrompt("position.prompt"), Field: func(a *domain.Application) *string { return &a.Contact.Position }, Handle: textField(freeText("contact_position", 30)), Next: next(StMobile)},
		{State: StMobile, Group: "mobile", Accepts: aText | aContact, Prompt: promptMobile, Handle: handleMobile, Next: next(StEmail)},
		{State: StEmail, Group: "email", Accepts: aText, Prompt: textPrompt("email.prompt"), Field: func(a *domain.Application) *string { return &a.Contact.Email }, Handle: textField(domain.ParseEmail), Next: next(StLandline)},
		{State: StLandline, Group: "tel", Accepts: aText | aButton, Prompt: skippable("landline.prompt"), Field: func(a *domain.Application) *string { return &a.Contact.Landline }, Handle: optionalField(domain.ParseLandline), Next: next(StFax)},
		{State: StFax, Group: "fax", Accepts: aText | aButton, Prompt: skippable("fax.prompt"), Field: func(a *domain.Application) *string { return &a.Contact.Fax }, Handle: optionalField(domain.ParseLandline), Next: next(StMailAddr)},
		{State: StMailAddr, Group: "mailaddr", Accepts: aText | aButton, Field: func(a *domain.Application) *string { return &a.Contact.MailingAddress }, Prompt: promptMailAddr, Handle: handleMailAddr, Next: next(StPostcode)},
		{State: StPostcode, Group: "postcode", Accepts: aText, Prompt: textPrompt("postcode.prompt"), Field: func(a *domain.Application) *string { return &a.Contact.Postcode }, Handle: textField(domain.ParsePostcode), Next: next(StAttCatalog)},

		// 附件
		{State: StAttCatalog, Group: "attcat", Accepts: aDocument | aPhoto, Prompt: textPrompt("att.catalog.prompt"), Handle: attachment(domain.AttachmentCatalog), Next: map[Event]State{evNext: StAttLicence, evConfirm: StAttCatImg}},
		{State: StAttCatImg, Group: "attcat", Accepts: aButton | aDocument | aPhoto, Prompt: promptConvert, Handle: handleConvert(domain.AttachmentCatalog), Next: map[Event]State{evNext: StAttLicence, evRetry: StAttCatalog}},
		{State: StAttLicence, Group: "attlic", Accepts: aDocument | aPhoto, Prompt: textPrompt("att.licence.prompt"), Handle: attachment(domain.AttachmentLicence), Next: map[Event]State{evNext: StMktAccount, evConfirm: StAttLicImg}},
		{State: StAttLicImg, Group: "attlic", Accepts: aButton | aDocument | aPhoto, Prompt: promptConvert, Handle: handleConvert(domain.AttachmentLicence), Next: map[Event]State{evNext: StMktAccount, evRetry: StAttLicence}},

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
