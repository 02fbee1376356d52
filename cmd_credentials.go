package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/upload/credentials"
)

func newCredentialsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Keep passwords, passphrases and PINs in the OS keyring",
		Long: `demat keeps every secret it uses — a certificate's passphrase, a token's
PIN, a server's password — in the operating system's keyring (the Secret
Service of GNOME or KDE on Linux, the Keychain on macOS, the Credential
Manager on Windows), never in a file. The configuration names each secret;
these commands put it in the keyring, take it out, and list the names.`,
		Example: `  demat credentials set agent.p12        # asks for the passphrase, without echo
  printf %s "$PIN" | demat credentials set --stdin cachet
  demat credentials list
  demat credentials delete agent.p12`,
	}
	cmd.AddCommand(newCredentialsSetCmd(), newCredentialsDeleteCmd(), newCredentialsListCmd())
	return cmd
}

func newCredentialsSetCmd() *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:   "set [--stdin] NAME",
		Short: "Store a secret under NAME (asked without echo, or read from standard input)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var value string
			switch {
			case stdin:
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<16))
				if err != nil {
					return err
				}
				// A trailing newline (echo, a here-string) is not part
				// of the secret.
				value = strings.TrimRight(string(b), "\r\n")
			default:
				f, ok := cmd.InOrStdin().(*os.File)
				if !ok || !term.IsTerminal(int(f.Fd())) {
					return usageError{errors.New("no terminal to ask on: pass the secret on standard input with --stdin")}
				}
				v, err := askTwice(cmd.ErrOrStderr(), int(f.Fd()), name)
				if err != nil {
					return err
				}
				value = v
			}
			if value == "" {
				return usageError{errors.New("the secret is empty: nothing stored")}
			}
			if err := credentials.New().Set(name, credentials.NewSecret(value)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: stored in the OS keyring\n", name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&stdin, "stdin", false, "read the secret from standard input (for scripts), not from a prompt")
	return cmd
}

// askTwice reads a secret from the terminal without echo, twice, so that
// a typing mistake is not stored.
func askTwice(w io.Writer, fd int, name string) (string, error) {
	fmt.Fprintf(w, "Secret for %s: ", name)
	a, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(w, "Again: ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", usageError{errors.New("the two entries differ: nothing stored")}
	}
	return string(a), nil
}

func newCredentialsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Remove the secret stored under NAME",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := credentials.New().Delete(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: removed from the OS keyring\n", args[0])
			return nil
		},
	}
}

func newCredentialsListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the secrets the configuration names, and whether each is stored (never their values)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			uses := cfg.Credentials()
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			if len(uses) == 0 {
				fmt.Fprintf(w, "The configuration (%s) names no secret yet.\n", cfg.File())
				return nil
			}
			store := credentials.New()
			for _, u := range uses {
				state := "stored"
				ok, err := store.Has(u.Name)
				switch {
				case errors.Is(err, credentials.ErrUnavailable):
					return err
				case err != nil:
					state = "unknown (" + err.Error() + ")"
				case !ok:
					state = "missing: demat credentials set " + u.Name
				}
				fmt.Fprintf(w, "%-24s %-50s %s\n", u.Name, u.For, state)
			}
			return nil
		},
	}
}
