#!/usr/bin/env bash
# fetch.sh downloads the GraphiQL playground assets from the npm registry and
# copies the browser bundles into this directory.
#
# It is run by hand at authoring time (when bumping versions), NOT by the
# build: the files it produces are committed and embedded into the Go binary
# with //go:embed. It needs bash, npm, node (for the integrity check) and tar.
#
# Packages (browser bundles that need no build step):
#   graphiql@3.9.0   graphiql.min.js, graphiql.min.css (UMD; bundles graphql,
#                    @graphiql/react, @graphiql/toolkit, CodeMirror 5, fonts
#                    inlined as data: URLs)
#   react@18.3.1     umd/react.production.min.js
#   react-dom@18.3.1 umd/react-dom.production.min.js
#
# When changing a version, update the integrity hash below (npm view
# PKG@VERSION dist.integrity) and the asset file names in ../playground.go.
set -euo pipefail

GRAPHIQL=3.9.0
REACT=18.3.1

declare -A INTEGRITY=(
  ["graphiql-${GRAPHIQL}.tgz"]="sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA=="
  ["react-${REACT}.tgz"]="sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ=="
  ["react-dom-${REACT}.tgz"]="sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw=="
)

dest=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "graphiql@${GRAPHIQL}" "react@${REACT}" "react-dom@${REACT}" >/dev/null
for tgz in "${!INTEGRITY[@]}"; do
  got=$(node -e 'const c=require("crypto"),f=require("fs");console.log("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
  if [[ "$got" != "${INTEGRITY[$tgz]}" ]]; then
    echo "integrity mismatch for $tgz: got $got" >&2
    exit 1
  fi
  mkdir "${tgz%.tgz}"
  tar -xzf "$tgz" -C "${tgz%.tgz}"
done

g="graphiql-${GRAPHIQL}/package"
r="react-${REACT}/package"
d="react-dom-${REACT}/package"

# The source map is not shipped; drop the comment that would make browser
# devtools request it.
sed '/^\/\/# sourceMappingURL=/d' "$g/graphiql.min.js" >"$dest/graphiql-${GRAPHIQL}.min.js"
cp "$g/graphiql.min.css" "$dest/graphiql-${GRAPHIQL}.min.css"
cp "$r/umd/react.production.min.js" "$dest/react-${REACT}.production.min.js"
cp "$d/umd/react-dom.production.min.js" "$dest/react-dom-${REACT}.production.min.js"

cp "$g/LICENSE" "$dest/LICENSE.graphiql"
cp "$r/LICENSE" "$dest/LICENSE.react"
cp "$d/LICENSE" "$dest/LICENSE.react-dom"
