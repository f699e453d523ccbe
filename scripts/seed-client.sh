#!/usr/bin/env bash
# A client written against the seed wallet API's documented fields, as the README's curl
# walkthrough: register, verify, log in, deposit, buy, sell, withdraw, read. It reads only the
# seed's fields (token, newBalance, Balance, sold_*/bought_*, message) and stops at the first
# answer that lacks one.
#
#   B=http://127.0.0.1:3000 OUTBOX=data/outbox bash scripts/seed-client.sh [mail]
set -euo pipefail

B=${B:-http://127.0.0.1:3000}
OUTBOX=${OUTBOX:-data/outbox}
MAIL=${1:-seed-$(date +%s)-$$@example.com}
JSON='content-type: application/json'

# field <name> < body: prints one field of a JSON answer, or fails naming it.
field() {
  node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      const value = JSON.parse(text)[process.argv[1]];
      if (value === undefined) {
        console.error(`missing field ${process.argv[1]} in ${text}`);
        process.exit(1);
      }
      console.log(typeof value === "object" ? JSON.stringify(value) : String(value));
    });' "$1"
}

post() { curl -sS --fail-with-body -XPOST "$B$1" -H "$JSON" "${@:3}" -d "$2"; }

PERSON="\"name\":\"Ada\",\"lastName\":\"Lovelace\",\"mail\":\"$MAIL\",\"password\":\"correct horse\""
post /api/user/register "{$PERSON}" | field message

CODE=''
for _ in $(seq 1 200); do
  CODE=$(grep -lsF "To: $MAIL" "$OUTBOX"/*.eml | xargs -r grep -ho 'verification code: [0-9]\{6\}' \
    | head -1 | grep -o '[0-9]*$' || true)
  [ -n "$CODE" ] && break
  sleep 0.1
done
[ -n "$CODE" ] || { echo "no verification mail to $MAIL in $OUTBOX" >&2; exit 1; }
post /api/user/register "{$PERSON,\"verification\":\"$CODE\"}" | field message

LOGIN=$(post /api/user/login "{\"mail\":\"$MAIL\",\"password\":\"correct horse\"}")
echo "$LOGIN" | field message
TOKEN=$(echo "$LOGIN" | field token)
AUTH="authorization: Bearer $TOKEN"

DEPOSIT=$(post /api/user/wallet/deposit '{"amount":100.10}' -H "$AUTH")
echo "deposit: newBalance $(echo "$DEPOSIT" | field newBalance)"
BUY=$(post /api/user/wallet/buy '{"currency":"BTC","amount":0.001}' -H "$AUTH")
echo "buy: sold $(echo "$BUY" | field sold_amount) $(echo "$BUY" | field sold_currency)," \
  "bought $(echo "$BUY" | field bought_amount) $(echo "$BUY" | field bought_currency);" \
  "Balance $(echo "$BUY" | field Balance)"
SELL=$(post /api/user/wallet/sell '{"currency":"BTC","amount":0.0005}' -H "$AUTH")
echo "sell: sold $(echo "$SELL" | field sold_amount) $(echo "$SELL" | field sold_currency)," \
  "bought $(echo "$SELL" | field bought_amount) $(echo "$SELL" | field bought_currency)"
WITHDRAW=$(post /api/user/wallet/withdraw '{"amount":10}' -H "$AUTH")
echo "withdraw: newBalance $(echo "$WITHDRAW" | field newBalance)"

echo "balance: $(curl -sS --fail-with-body "$B/api/user/wallet/balance" -H "$AUTH")"
echo "me: $(curl -sS --fail-with-body "$B/api/user/me" -H "$AUTH" | field mail)"
echo "rates: $(curl -sS --fail-with-body "$B/api/exchange-rates?currency=USD" | field currency)"
echo "seed client: done"
