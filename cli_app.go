package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/storefront/customers/storage"
	"github.com/urfave/cli/v3"
)

// appCommand manages registered apps: the storefront sign-in of
// GET /login/token/{jwt}, /customer/current.jwt and loginWithToken, and
// the X-Auth-Client of REST clients.
func (a *app) appCommand() *cli.Command {
	var db, name, scopes string
	return &cli.Command{
		Name:      "app",
		Usage:     "register, list and revoke apps (storefront sign-in, X-Auth-Client)",
		UsageText: programName + " app create|list|revoke [options]",
		Description: "An app signs Customer Login tokens (HS256 JWTs) with its client secret to sign shoppers in, and\n" +
			"verifies the Current Customer tokens the server signs with it. The secret is shown once.\n\n" +
			"Examples:\n" +
			"  " + programName + " app create -db customers.db -name storefront\n" +
			"  " + programName + " app list -db customers.db\n" +
			"  " + programName + " app revoke -db customers.db 2",
		Commands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "register an app and print its client id and client secret, two lines and nothing else",
				UsageText: programName + " app create -name NAME [-scopes SCOPE[,SCOPE]] [-db FILE]",
				Description: "Prints 'client_id <id>' and 'client_secret <secret>'. -scopes are the API token scopes the app\n" +
					"may use (a request naming it in X-Auth-Client gets those its token also has); without it, both.\n\n" +
					"Examples:\n" +
					"  " + programName + " app create -db customers.db -name storefront\n" +
					"  " + programName + " app create -db customers.db -name reporting -scopes " + storage.ScopeRead,
				Flags: []cli.Flag{
					dbFlag(&db),
					&cli.StringFlag{Name: "name", Usage: "a name to tell the app by in the app list", Destination: &name},
					&cli.StringFlag{Name: "scopes", Usage: "comma-separated scopes the app may use: " + strings.Join(storage.Scopes, ", "),
						Destination: &scopes},
				},
				Action: a.action(func(ctx context.Context, c *cli.Command) error {
					if c.NArg() > 0 {
						return a.unexpectedArgs(c)
					}
					in := storage.AppInput{Name: name, Scopes: splitList(scopes)}
					if err := in.Validate(); err != nil { // before a file is made
						return usageError{flagError(err)}
					}
					store, err := openStore(ctx, db, true)
					if err != nil {
						return err
					}
					defer store.Close()
					made, err := store.CreateApp(ctx, in)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "client_id %s\nclient_secret %s\n", made.ClientID, made.Secret)
					return nil
				}),
			},
			{
				Name:        "list",
				Usage:       "list the apps, revoked ones too (never their secrets)",
				UsageText:   programName + " app list [-db FILE]",
				Description: "Example:\n  " + programName + " app list -db customers.db",
				Flags:       []cli.Flag{dbFlag(&db)},
				Action: a.action(func(ctx context.Context, c *cli.Command) error {
					if c.NArg() > 0 {
						return a.unexpectedArgs(c)
					}
					store, err := openStore(ctx, db, false)
					if err != nil {
						return err
					}
					defer store.Close()
					apps, err := store.ListApps(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tCLIENT ID\tNAME\tSCOPES\tCREATED\tREVOKED")
					for _, p := range apps {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.ClientID, p.Name, strings.Join(p.Scopes, ","),
							storage.FormatTime(p.DateCreated), orDash(p.RevokedAt))
					}
					return w.Flush()
				}),
			},
			{
				Name:        "revoke",
				Usage:       "revoke an app for good: its tokens are refused, the sessions it signed in end",
				UsageText:   programName + " app revoke [-db FILE] ID",
				Description: "ID is the app's id in the app list.\n\nExample:\n  " + programName + " app revoke -db customers.db 2",
				Flags:       []cli.Flag{dbFlag(&db)},
				Action: a.action(func(ctx context.Context, c *cli.Command) error {
					if c.NArg() != 1 {
						return usageError{fmt.Errorf("give one app id (see '%s -h')", c.FullName())}
					}
					id, err := strconv.Atoi(c.Args().First())
					if err != nil || id < 1 {
						return usageError{fmt.Errorf("%q is not an app id", c.Args().First())}
					}
					store, err := openStore(ctx, db, false)
					if err != nil {
						return err
					}
					defer store.Close()
					if err := store.RevokeApp(ctx, id); err != nil {
						return err
					}
					fmt.Fprintf(a.stderr, "app %d revoked\n", id)
					return nil
				}),
			},
		},
	}
}
