package graph

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/storefront/customers/graph/model"
	"github.com/storefront/customers/storage"
)

// The storefront side: registration, sign-in, and the signed-in shopper's
// own records. Every "My" operation works on the shopper of the access
// token and nobody else: another customer's address is NOT_FOUND.

// oneItem turns the problems of a one-item batch into the problems of a
// single input: "input.0.email" becomes "input.email", and no index.
// renames maps storage field names to the input's, e.g.
// "authentication.newPassword" to "password".
func oneItem(err error, renames map[string]string) ([]*model.UserError, error) {
	ue, err := userErrors(err)
	for _, e := range ue {
		if len(e.Field) >= 2 && e.Field[0] == "input" && e.Field[1] == "0" {
			rest := strings.Join(e.Field[2:], ".")
			if r, ok := renames[rest]; ok {
				rest = r
			}
			e.Field = append([]string{"input"}, strings.Split(rest, ".")...)
		}
		e.Index = nil
	}
	return ue, err
}

// signedIn is the payload of a successful sign-in.
func (r *Resolver) signedIn(ctx context.Context, customerID, channelID int, impersonatedBy *int) (*model.SignInPayload, error) {
	token, expires, err := r.auth.signIn(ctx, storage.SessionInput{CustomerID: customerID, ChannelID: channelID,
		ImpersonatedBy: impersonatedBy})
	if err != nil {
		return nil, err
	}
	c, err := r.DB.FindCustomerByID(ctx, customerID)
	if err != nil {
		return nil, err
	}
	return &model.SignInPayload{AccessToken: &token, ExpiresAt: &expires, Customer: c, UserErrors: []*model.UserError{}}, nil
}

// signInProblem is a refused sign-in.
func signInProblem(code model.UserErrorCode, field, msg string) *model.SignInPayload {
	return &model.SignInPayload{UserErrors: []*model.UserError{{Code: code, Message: msg, Field: []string{field}}}}
}

func (r *Resolver) register(ctx context.Context, in model.RegisterCustomerInput) (*model.SignInPayload, error) {
	client := clientAddress(ctx)
	if err := attempt(ctx, r.signups, "client:"+client); err != nil {
		return nil, err
	}
	channel := 1
	if in.ChannelID != nil {
		channel = *in.ChannelID
	}
	x := storage.CustomerInput{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Company: str(in.Company),
		Phone: str(in.Phone), NewPassword: &in.Password, RegistrationIPAddress: client, OriginChannelID: &channel,
		FormFields: formFieldInputs(in.FormFields)}
	if in.AcceptsProductReviewAbandonedCartEmails != nil {
		x.AcceptsProductReviewAbandonedCartEmails = *in.AcceptsProductReviewAbandonedCartEmails
	}
	out, err := r.createCustomers(ctx, []storage.CustomerInput{x})
	ue, err := oneItem(err, map[string]string{"authentication.newPassword": "password", "originChannelId": "channelId"})
	if err != nil {
		return nil, err
	}
	if len(ue) > 0 {
		return &model.SignInPayload{UserErrors: ue}, nil
	}
	return r.signedIn(ctx, out[0].ID, channel, nil)
}

func (r *Resolver) login(ctx context.Context, email, password string, channel int) (*model.SignInPayload, error) {
	if err := r.credentials.attempt(ctx, "email:"+storage.Fold(email), clientAddress(ctx)); err != nil {
		return nil, err
	}
	check, err := r.checkCredentials(ctx, email, password, channel)
	switch {
	case err != nil:
		return nil, err
	case !check.Valid:
		return signInProblem(model.UserErrorCodeInvalid, "password",
			"The email or password is wrong, or the account cannot sign in on this channel."), nil
	case check.ForcePasswordReset:
		// ../API.md decision 14: the shopper must choose a new password.
		return signInProblem(model.UserErrorCodePasswordResetRequired, "password",
			"The account must choose a new password before signing in."), nil
	}
	return r.signedIn(ctx, check.CustomerID, channel, nil)
}

// loginWithToken signs in the shopper a Customer Login token names (the
// checks of sso.go); a refused token is a userError on `token`, an unknown
// customer NOT_FOUND.
func (r *Resolver) loginWithToken(ctx context.Context, token string) (*model.SignInPayload, error) {
	login, access, expires, err := r.auth.loginWithToken(ctx, token, clientAddress(ctx))
	if refusal, ok := errors.AsType[*loginRefusal](err); ok {
		r.log.WarnContext(ctx, "customer login refused", "reason", refusal.reason)
		code := model.UserErrorCodeInvalid
		if refusal.reason == "customer" {
			code = model.UserErrorCodeNotFound
		}
		return signInProblem(code, "token", refusal.msg), nil
	}
	if err != nil {
		return nil, err
	}
	c, err := r.DB.FindCustomerByID(ctx, login.customerID)
	if err != nil {
		return nil, err
	}
	return &model.SignInPayload{AccessToken: &access, ExpiresAt: &expires, Customer: c, UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) impersonate(ctx context.Context, customerID, channel int) (*model.SignInPayload, error) {
	token := callerOf(ctx).Token
	if _, err := r.DB.FindCustomerByID(ctx, customerID); storage.ErrorCode(err) == storage.ENOTFOUND {
		return signInProblem(model.UserErrorCodeNotFound, "customerId", "There is no such customer."), nil
	} else if err != nil {
		return nil, err
	}
	r.log.WarnContext(ctx, "impersonation", "token_id", token.ID, "token_name", token.Name, "customer_id", customerID,
		"channel_id", channel)
	return r.signedIn(ctx, customerID, channel, &token.ID)
}

func (r *Resolver) logout(ctx context.Context) (*model.LogoutPayload, error) {
	if err := r.DB.RevokeSession(ctx, shopper(ctx).SessionID); err != nil {
		return nil, err
	}
	r.events.checkNow() // the session's streams end now
	return &model.LogoutPayload{LoggedOut: true, UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) updateMe(ctx context.Context, in model.UpdateMeInput) (*model.MePayload, error) {
	u := storage.CustomerUpdate{ID: shopper(ctx).CustomerID, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Company: in.Company, Phone: in.Phone, AcceptsProductReviewAbandonedCartEmails: in.AcceptsProductReviewAbandonedCartEmails,
		FormFields: formFieldInputs(in.FormFields)}
	out, err := r.updateCustomers(ctx, []storage.CustomerUpdate{u})
	ue, err := oneItem(err, nil)
	if err != nil {
		return nil, err
	}
	p := &model.MePayload{UserErrors: ue}
	if len(ue) == 0 {
		p.Customer = out[0]
	}
	return p, nil
}

func (r *Resolver) changeMyPassword(ctx context.Context, in model.ChangeMyPasswordInput) (*model.SignInPayload, error) {
	me := shopper(ctx)
	if err := r.credentials.attempt(ctx, "customer:"+strconv.Itoa(me.CustomerID), clientAddress(ctx)); err != nil {
		return nil, err
	}
	ok, err := r.checkPasswordOf(ctx, me.CustomerID, in.CurrentPassword)
	if err != nil {
		return nil, err
	}
	if !ok {
		return signInProblem(model.UserErrorCodeInvalid, "currentPassword", "The current password is wrong."), nil
	}
	reset := false
	_, err = r.updateCustomers(ctx, []storage.CustomerUpdate{{ID: me.CustomerID, NewPassword: &in.NewPassword,
		ForcePasswordReset: &reset}})
	ue, err := oneItem(err, map[string]string{"authentication.newPassword": "newPassword"})
	if err != nil {
		return nil, err
	}
	if len(ue) > 0 {
		return &model.SignInPayload{UserErrors: ue}, nil
	}
	return r.signedIn(ctx, me.CustomerID, me.ChannelID, me.ImpersonatedBy)
}

// ownsAddress reports whether the address is the shopper's.
func (r *Resolver) ownsAddress(ctx context.Context, addressID int) (bool, error) {
	me := shopper(ctx).CustomerID
	pg, err := r.DB.FindAddresses(ctx, storage.CustomerAddressFilter{IDIn: []int{addressID}, CustomerIDIn: []int{me}},
		storage.PageRequest{Page: 1, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(pg.Items) == 1, nil
}

// notYours is the problem of an address that is not the shopper's: the
// same as of one that does not exist, so nothing leaks.
func notYours(field string) []*model.UserError {
	return []*model.UserError{{Code: model.UserErrorCodeNotFound, Message: "There is no such address on your account.",
		Field: strings.Split(field, ".")}}
}

func (r *Resolver) createMyAddress(ctx context.Context, in model.CustomerAddressInput) (*model.MyAddressPayload, error) {
	a := storage.AddressInput{CustomerID: shopper(ctx).CustomerID, FirstName: in.FirstName, LastName: in.LastName,
		Company: str(in.Company), Address1: in.Address1, Address2: str(in.Address2), City: in.City,
		StateOrProvince: str(in.StateOrProvince), PostalCode: str(in.PostalCode), CountryCode: in.CountryCode,
		Phone: str(in.Phone), AddressType: addressType(in.AddressType), FormFields: formFieldInputs(in.FormFields)}
	out, err := r.createAddresses(ctx, []storage.AddressInput{a})
	return myAddress(out, err)
}

func myAddress(out []*storage.CustomerAddress, err error) (*model.MyAddressPayload, error) {
	ue, err := oneItem(err, nil)
	if err != nil {
		return nil, err
	}
	p := &model.MyAddressPayload{UserErrors: ue}
	if len(out) == 1 {
		p.Address = out[0]
	}
	return p, nil
}

func (r *Resolver) updateMyAddress(ctx context.Context, in model.CustomerAddressUpdateInput) (*model.MyAddressPayload, error) {
	mine, err := r.ownsAddress(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if !mine {
		return &model.MyAddressPayload{UserErrors: notYours("input.id")}, nil
	}
	out, err := r.updateAddresses(ctx, fromAddressUpdateInputs([]*model.CustomerAddressUpdateInput{&in}))
	return myAddress(out, err)
}

func (r *Resolver) deleteMyAddress(ctx context.Context, id int) (*model.DeletePayload, error) {
	mine, err := r.ownsAddress(ctx, id)
	if err != nil {
		return nil, err
	}
	if !mine {
		return &model.DeletePayload{DeletedIds: []int{}, UserErrors: notYours("id")}, nil
	}
	return deleted(r.deleteAddresses(ctx, []int{id}))
}

func (r *Resolver) updateMyConsent(ctx context.Context, in model.MyConsentInput) (*model.CustomerConsentPayload, error) {
	out, ue, err := writtenOne(r.updateConsent(ctx, storage.ConsentInput{CustomerID: shopper(ctx).CustomerID,
		Allow: in.Allow, Deny: in.Deny}))
	if err != nil {
		return nil, err
	}
	return &model.CustomerConsentPayload{Consent: out, UserErrors: ue}, nil
}
