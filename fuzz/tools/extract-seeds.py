#!/usr/bin/env python3
"""Regenerates the seed corpora in fuzz/corpus/ from the JSON bodies written in the unit tests.

Usage: fuzz/tools/extract-seeds.py  (from the repository root). Takes every Swift string literal that
is a JSON object or array (single-line "..." and multi-line \"\"\" blocks, without interpolation), and
writes at most MAX files per target, named by the hash of their content so reruns are idempotent.
Hand-written seeds (not named seed-*) are left alone.
"""
import hashlib, json, os, re, sys

MAX = 40
SOURCES = {
    "FuzzOpenAIChatRequest": ["Tests/DialectsTests/OpenAIChatRequestTests.swift", "Tests/IntegrationTests/ChatCompletionsTests.swift"],
    "FuzzOpenAICompletionRequest": ["Tests/DialectsTests/OpenAICompletionTests.swift", "Tests/IntegrationTests/OpenAIDialectTests.swift"],
    "FuzzOpenAIEmbeddingRequest": ["Tests/DialectsTests/OpenAIEmbeddingTests.swift"],
    "FuzzAnthropicMessagesRequest": ["Tests/DialectsTests/AnthropicMessagesRequestTests.swift", "Tests/IntegrationTests/AnthropicMessagesTests.swift"],
    "FuzzOllamaNativeRequest": ["Tests/DialectsTests/OllamaNativeRequestTests.swift", "Tests/IntegrationTests/OllamaNativeTests.swift"],
    "FuzzNativeChunk": ["Tests/DialectsTests/NativeChatDecoderTests.swift", "Tests/DialectsTests/NativeChunkParserTests.swift",
                        "Tests/DialectsTests/NativeToolCallDecodingTests.swift"],
    "FuzzJSONParser": ["Tests/DialectsTests/JSONParserTests.swift", "Tests/DialectsTests/OpenAIChatRequestTests.swift",
                       "Tests/DialectsTests/AnthropicMessagesRequestTests.swift"],
}

single = re.compile(r'(?<!#)"((?:[^"\\\n]|\\.)*)"')
multi = re.compile(r'(?<!#)"""\n(.*?)\n\s*"""', re.S)
raw_single = re.compile(r'#"(.*?)"#')
raw_multi = re.compile(r'#"""\n(.*?)\n\s*"""#', re.S)
# Tests that append fields to a minimal request: a fragment `,"field":...` is seeded inside this body.
BASES = {
    "FuzzOpenAIChatRequest": '{"model":"m","messages":[{"role":"user","content":"x"}]%s}',
    "FuzzOpenAICompletionRequest": '{"model":"m","prompt":"p"%s}',
    "FuzzOpenAIEmbeddingRequest": '{"model":"m","input":"x"%s}',
    "FuzzAnthropicMessagesRequest": '{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"x"}]%s}',
    "FuzzOllamaNativeRequest": '{"model":"llama3.2","messages":[{"role":"user","content":"x"}]%s}',
    "FuzzNativeChunk": '{"message":{"role":"assistant","content":""},"done":true%s}',
}

def swift_unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "(":
                return None  # interpolation: not a literal body
            if n == "u" and text[i + 2:i + 3] == "{":
                end = text.index("}", i)
                out.append(chr(int(text[i + 3:end], 16)))
                i = end + 1
                continue
            out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "\\": "\\", "'": "'"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)

def raw_unescape(text):
    if "\\#(" in text:
        return None
    return text.replace("\\#n", "\n").replace("\\#t", "\t").replace('\\#"', '"')

def indented(body):
    lines = body.split("\n")
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] for l in lines)

def literals(source):
    for m in raw_multi.finditer(source):
        yield raw_unescape(indented(m.group(1)))
    for m in raw_single.finditer(source):
        yield raw_unescape(m.group(1))
    source = raw_multi.sub("", raw_single.sub("", source))
    for m in multi.finditer(source):
        body = m.group(1)
        if "\\(" not in body:
            lines = body.split("\n")
            indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
            yield swift_unescape("\n".join(l[indent:] for l in lines))
    for m in single.finditer(source):
        yield swift_unescape(m.group(1))

def main():
    root = os.getcwd()
    for target, files in SOURCES.items():
        seeds = []
        for path in files:
            full = os.path.join(root, path)
            if not os.path.exists(full):
                continue
            for text in literals(open(full, encoding="utf-8").read()):
                if text and text.startswith(',"') and target in BASES:
                    text = BASES[target] % text
                if not text or text[0] not in "{[":
                    continue
                # NDJSON for the native stream target: keep multi-line literals whole.
                for candidate in [text]:
                    lines = candidate.split("\n") if target == "FuzzNativeChunk" else [candidate]
                    try:
                        for line in lines:
                            if line.strip():
                                json.loads(line)
                    except ValueError:
                        continue
                    if candidate not in seeds:
                        seeds.append(candidate)
        folder = os.path.join(root, "fuzz", "corpus", target)
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.startswith("seed-"):
                os.remove(os.path.join(folder, name))
        for text in seeds[:MAX]:
            data = text.encode("utf-8")
            name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
            open(os.path.join(folder, name), "wb").write(data)
        print(f"{target}: {min(len(seeds), MAX)} seeds", file=sys.stderr)

main()
