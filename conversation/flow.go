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
	StBankNameOK State = "banknameok" // confirm an account name that is not the enterprise's
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
	evSkip    Event = "skip"    // the next question is answered already: go past it
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
	State State
	// Field is the field of the form the question fills ("" for none). The
	// questions of one field are edited together, and are left together
	// for the summary after an edit.
	Field   domain.Field
	Accepts accepts
	Secret  bool // the user's message is deleted, whatever it holds
	// Offer: asked again (/back, an edit), the question offers the field's
	// previous answer as a button (a "v:" value, which the handler reads
	// with answer). Only for fields held as one string.
	Offer  bool
	Prompt func(*turn) Reply
	Handle func(*turn) (Event, error)
	Next   map[Event]State
	OnBack func(*turn) // called when /back leaves this state
	// Derive, when the flow moves on into this state, answers its question
	// from the draft if it can (the credit code from the catalog), says
	// what it took and reports true: the question is not asked, and the
	// flow moves on along evNext. An edit or /back asks it all the same.
	Derive func(*turn) bool
}

// flow is the whole dialogue, in order: the order of progress ("step N of
// M") and of the edit menu. It is filled in init from flowTable, which breaks
// the initialisation cycle between the table and the handlers that read it.
var flow []step

func flowTable() []step {
	return []step{
		{State: StStart, Accepts: aButton, Prompt: promptStart, Handle: handleStart, Next: next(StNotice)},
		{State: StNotice, Field: domain.FieldNotice, Accepts: aButton, Prompt: promptNotice, Handle: handleNotice, Next: next(StMember)},
		{State: StMember, Field: domain.FieldMemberType, Accepts: aButton, Prompt: promptMember, Handle: handleMember, Next: next(StEnterprise)},

		// 账号信息
		{State: StEnterprise, Field: domain.FieldEnterpriseName, Accepts: aText | aButton, Prompt: promptEnterprise, Handle: handleEnterprise, Next: next(StLogin)},
		{State: StLogin, Field: domain.FieldLoginName, Accepts: aText | aButton, Offer: true, Prompt: promptLogin, Handle: handleLogin, Next: next(StUserName)},
		{State: StUserName, Field: domain.FieldUserName, Accepts: aText | aButton, Offer: true, Prompt: promptUserName, Handle: handleUserName, Next: next(StIDNumber)},
		{State: StIDNumber, Field: domain.FieldLegalRepID, Accepts: aText, Secret: true, Prompt: textPrompt("idno.prompt"), Handle: handleIDNumber, Next: next(StPassword)},
		{State: StPassword, Field: domain.FieldPassword, Accepts: aText, Secret: true, Prompt: textPrompt("pwd.prompt"), Handle: handlePassword, Next: next(StPassword2), OnBack: forgetPassword},
		{State: StPassword2, Field: domain.FieldPassword, Accepts: aText, Secret: true, Prompt: textPrompt("pwd2.prompt"), Handle: handlePassword2, Next: map[Event]State{evNext: StCreditCode, evRetry: StPassword}, OnBack: forgetPassword},

		// 基本信息
		{State: StCreditCode, Field: domain.FieldCreditCode, Accepts: aText | aButton, Prompt: promptCreditCode, Handle: handleCreditCode, Derive: deriveCreditCode, Next: map[Event]State{evNext: StLegalRep, evConfirm: StCreditOK}},
		{State: StCreditOK, Field: domain.FieldCreditCode, Accepts: aButton, Prompt: promptCreditOK, Handle: handleCreditOK, Next: map[Event]State{evNext: StLegalRep, evRetry: StCreditCode}},
		{State: StLegalRep, Field: domain.FieldLegalRepName, Accepts: aText, Offer: true, Prompt: textPrompt("legalrep.prompt"), Handle: textField(domain.ParsePersonName), Next: next(StCapital)},
		{State: StCapital, Field: domain.FieldRegisteredCapital, Accepts: aText, Offer: true, Prompt: textPrompt("capital.prompt"), Handle: textField(fixed(domain.ParseCapital)), Next: next(StFounded)},
		{State: StFounded, Field: domain.FieldFoundedOn, Accepts: aText, Prompt: textPrompt("founded.prompt"), Handle: handleFounded, Next: next(StTerm)},
		{State: StTerm, Field: domain.FieldBusinessTerm, Accepts: aText | aButton, Prompt: promptTerm, Handle: handleTerm, Next: next(StIndustry)},
		{State: StIndustry, Field: domain.FieldIndustry, Accepts: aText, Offer: true, Prompt: textPrompt("industry.prompt"), Handle: textField(freeText(50)), Next: next(StUserType)},
		{State: StUserType, Field: domain.FieldUserType, Accepts: aButton, Prompt: promptUserType, Handle: handleUserType, Next: map[Event]State{evConfirm: StUserTypeOK}},
		{State: StUserTypeOK, Field: domain.FieldUserType, Accepts: aButton, Prompt: promptUserTypeOK, Handle: handleUserTypeOK, Next: map[Event]State{evNext: StRegion, evRetry: StUserType}},
		{State: StRegion, Field: domain.FieldRegion, Accepts: aText | aButton, Prompt: promptRegion, Handle: handleRegion, Next: next(StRegAddress)},
		{State: StRegAddress, Field: domain.FieldRegisteredAddress, Accepts: aText, Offer: true, Prompt: textPrompt("regaddr.prompt"), Handle: textField(freeText(100)), Next: next(StBank)},

		// 商务信息
		{State: StBank, Field: domain.FieldBankName, Accepts: aText, Offer: true, Prompt: textPrompt("bank.prompt"), Handle: textField(orgName(60)), Next: next(StBankName)},
		{State: StBankName, Field: domain.FieldBankAccountName, Accepts: aText | aButton, Prompt: promptBankName, Handle: handleBankName, Next: map[Event]State{evNext: StBankAcct, evConfirm: StBankNameOK}},
		{State: StBankNameOK, Field: domain.FieldBankAccountName, Accepts: aButton, Prompt: promptBankNameOK, Handle: handleBankNameOK, Next: map[Event]State{evNext: StBankAcct, evRetry: StBankName}},
		{State: StBankAcct, Field: domain.FieldBankAccountNumber, Accepts: aText, Offer: true, Prompt: textPrompt("bankacct.prompt"), Handle: textField(fixed(domain.ParseBankAccount)), Next: next(StContact)},

		// 联系信息
		{State: StContact, Field: domain.FieldContactPerson, Accepts: aText, Offer: true, Prompt: textPrompt("contact.prompt"), Handle: textField(domain.ParsePersonName), Next: next(StPosition)},
		{State: StPosition, Field: domain.FieldContactPosition, Accepts: aText, Offer: true, Prompt: textPrompt("position.prompt"), Handle: textField(freeText(30)), Next: next(StMobile)},
		{State: StMobile, Field: domain.FieldMobile, Accepts: aText | aContact, Prompt: promptMobile, Handle: handleMobile, Next: next(StEmail)},
		{State: StEmail, Field: domain.FieldEmail, Accepts: aText, Offer: true, Prompt: textPrompt("email.prompt"), Handle: textField(fixed(domain.ParseEmail)), Next: next(StLandline)},
		{State: StLandline, Field: domain.FieldLandline, Accepts: aText | aButton, Offer: true, Prompt: skippable("landline.prompt"), Handle: optionalField(domain.ParseLandline), Next: next(StFax)},
		{State: StFax, Field: domain.FieldFax, Accepts: aText | aButton, Offer: true, Prompt: skippable("fax.prompt"), Handle: optionalField(domain.ParseLandline), Next: next(StMailAddr)},
		{State: StMailAddr, Field: domain.FieldMailingAddress, Accepts: aText | aButton, Offer: true, Prompt: promptMailAddr, Handle: handleMailAddr, Next: next(StPostcode)},
		{State: StPostcode, Field: domain.FieldPostcode, Accepts: aText, Offer: true, Prompt: textPrompt("postcode.prompt"), Handle: textField(fixed(domain.ParsePostcode)), Next: next(StAttCatalog)},

		// 附件
		{State: StAttCatalog, Field: domain.FieldCatalogFile, Accepts: aDocument | aPhoto, Prompt: textPrompt("att.catalog.prompt"), Handle: attachment(domain.AttachmentCatalog), Next: map[Event]State{evNext: StAttLicence, evConfirm: StAttCatImg}},
		{State: StAttCatImg, Field: domain.FieldCatalogFile, Accepts: aButton | aDocument | aPhoto, Prompt: promptConvert, Handle: handleConvert(domain.AttachmentCatalog), Next: map[Event]State{evNext: StAttLicence, evRetry: StAttCatalog}},
		{State: StAttLicence, Field: domain.FieldLicenceFile, Accepts: aDocument | aPhoto, Prompt: textPrompt("att.licence.prompt"), Handle: attachment(domain.AttachmentLicence), Next: map[Event]State{evNext: StMktAccount, evConfirm: StAttLicImg}},
		{State: StAttLicImg, Field: domain.FieldLicenceFile, Accepts: aButton | aDocument | aPhoto, Prompt: promptConvert, Handle: handleConvert(domain.AttachmentLicence), Next: map[Event]State{evNext: StMktAccount, evRetry: StAttLicence}},

		// 用电单元
		{State: StMktAccount, Field: domain.FieldUnits, Accepts: aText, Prompt: textPrompt("mkt.prompt"), Handle: handleMktAccount, Next: next(StMktPwd)},
		{State: StMktPwd, Field: domain.FieldUnits, Accepts: aText, Secret: true, Prompt: promptMktPwd, Handle: handleMktPwd, Next: map[Event]State{evNext: StPoints, evRetry: StMktAccount}},
		{State: StPoints, Field: domain.FieldUnits, Accepts: aButton, Prompt: promptPoints, Handle: handlePoints, Next: next(StUnitType)},
		{State: StUnitType, Field: domain.FieldUnits, Accepts: aButton, Prompt: promptUnitType, Handle: handleUnitType, Next: map[Event]State{evNext: StUnitHE, evMore: StUnitType, evSkip: StMore}, OnBack: backUnitType},
		{State: StUnitHE, Field: domain.FieldUnits, Accepts: aButton, Prompt: promptUnitHE, Handle: handleUnitHE, Next: map[Event]State{evNext: StMore, evMore: StUnitType}},
		{State: StMore, Field: domain.FieldUnits, Accepts: aButton, Prompt: promptMore, Handle: handleMore, Next: map[Event]State{evNext: StSummary, evMore: StMktAccount}},

		{State: StSummary, Accepts: aButton, Prompt: promptSummary, Handle: handleSummary, Next: map[Event]State{evNext: StSubmitted, evEdit: StEdit}},
		{State: StEdit, Accepts: aButton, Prompt: promptEdit, Handle: handleEdit, Next: next(StSummary)},
		{State: StSubmitted, Accepts: aButton, Prompt: promptSubmitted, Handle: handleSubmitted, Next: next(StSummary)},
	}
}

func next(s State) map[Event]State { return map[Event]State{evNext: s} }

// A dependency says that the answer to To is worked out from, or only
// makes sense with, the answer to From. When the answer to From changes
// (an edit from the summary, also of a rejected application; /back and a
// different answer), To is stale, and Redo brings it up to date (deps.go).
type dependency struct {
	From, To domain.Field
	// Redo is given From's previous answer. It works To out again where
	// the draft allows (redoDerived), leaves it where it does not depend on
	// this change after all (redoKept), or has it asked again: redoAsk
	// clears it (domain.Application.Clear), redoCleared says Redo cleared
	// the stale part itself. nil: always redoAsk.
	Redo func(t *turn, was string) redone
	// Note, when set, is the text that says why To is asked again.
	Note string
	// How says what happens, for docs/flow.md.
	How string
}

// dependencies are every dependency between answers, declared here once:
// propagate (deps.go) applies them after each answer, docs/flow.md draws
// them, and TestDependencies plays one change per edge. From's question
// comes before To's in the flow (TestFlowTable), so a change made walking
// back through the form is followed by To's question anyway; after an edit
// from the summary, the cleared answers are asked in the form's order
// before the summary returns. An answer given again unchanged changes
// nothing.
var dependencies = []dependency{
	{From: domain.FieldEnterpriseName, To: domain.FieldCreditCode, Redo: redoCreditCode,
		How: "the catalog's code, else asked again"},
	{From: domain.FieldEnterpriseName, To: domain.FieldLoginName,
		How: "asked again, with the new name's suggestion"},
	{From: domain.FieldEnterpriseName, To: domain.FieldUserName, Redo: redoUserName,
		How: "the new name's suggestion if it was the old one's, else asked again"},
	{From: domain.FieldEnterpriseName, To: domain.FieldBankAccountName, Redo: redoAccountName,
		How: "the new name if it was the old one, else asked again"},
	// The password must not contain the login name, and the bot cannot
	// read the sealed password to check the new one.
	{From: domain.FieldLoginName, To: domain.FieldPassword, Note: "deps.password",
		How: "asked again (it must not contain the login name)"},
	{From: domain.FieldFoundedOn, To: domain.FieldBusinessTerm, Redo: redoBusinessTerm,
		How: "asked again if it now ends before the founding"},
	{From: domain.FieldUserType, To: domain.FieldCertificate, Redo: redoCertificate,
		How: "the certificate step of the new type, told"},
	{From: domain.FieldRegisteredAddress, To: domain.FieldMailingAddress, Redo: redoMailingAddress,
		How: "the new address if it was “same as registered”"},
	{From: domain.FieldAccountNumber, To: domain.FieldUnits, Redo: redoUnits,
		How: "that account's units dropped, generated again"},
}

// steps indexes flow by state; position gives a state's place in the
// flow; questions gives the first question of each field.
var (
	steps     = map[State]*step{}
	position  = map[State]int{}
	questions = map[domain.Field]State{}
)

func init() {
	flow = flowTable()
	for i := range flow {
		steps[flow[i].State] = &flow[i]
		position[flow[i].State] = i
		if f := flow[i].Field; f != "" {
			if _, ok := questions[f]; !ok {
				questions[f] = flow[i].State
			}
		}
	}
}
