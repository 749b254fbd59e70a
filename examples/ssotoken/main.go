// Command ssotoken prints a Customer Login token, as a registered app
// signs it, for trying the storefront sign-in by hand (README, Storefront
// sign-in):
//
//	go run ./examples/ssotoken -client-id ID -client-secret SECRET -customer 1 [-redirect /account.php]
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	clientID := flag.String("client-id", "", "the app's client id (app create prints it)")
	secret := flag.String("client-secret", "", "the app's client secret")
	customer := flag.Int("customer", 0, "the customer to sign in")
	store := flag.String("store-hash", "customers", "the server's -store-hash")
	redirect := flag.String("redirect", "", "where the browser goes after signing in, a path such as /account.php")
	flag.Parse()
	if *clientID == "" || *secret == "" || *customer == 0 {
		flag.Usage()
		os.Exit(2)
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	claims := jwt.MapClaims{"iss": *clientID, "iat": time.Now().Unix(), "jti": hex.EncodeToString(jti),
		"operation": "customer_login", "store_hash": *store, "customer_id": *customer}
	if *redirect != "" {
		claims["redirect_to"] = *redirect
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(*secret))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(token)
}
