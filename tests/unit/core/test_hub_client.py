"""The hub client against a real HTTP server on 127.0.0.1 that answers like the Hub."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator

import pytest
from hub_server import (
    HOSTILE_NAMES,
    STARTER_NAME,
    STARTER_REPO,
    TINY_REPO,
    HubServer,
    socket_guard,
)

from parrotchat.core.hub.client import HubClient, Timeouts
from parrotchat.core.hub.config import (
    DEFAULT_ENDPOINT,
    OFFLINE_MESSAGE,
    HubConfig,
    HubError,
    HubOfflineError,
)
from parrotchat.core.hub.files import (
    FileChoice,
    GgufSummary,
    RemoteFile,
    RepoListing,
    check_repo_id,
    check_repo_path,
    quantization_from_name,
)
from parrotchat.core.models.memory_fit import Fit
from parrotchat.core.models.remote_fit import MachineMemory, assess_listing, recommended
from parrotchat.core.settings import Settings

GB = 1_000_000_000


@pytest.fixture
def server(server: HubServer) -> Iterator[HubServer]:
    """The shared loopback hub, plus repositories that only the search tests need."""
    server.add_repo("demo/not-gguf", downloads=10**9, likes=10**6, tags=["safetensors"])
    server.add_repo("demo/Tiny-Chat-GGUF", downloads=5, likes=900, trending=99)
    yield server


def client(server: HubServer, **config: object) -> HubClient:
    return HubClient(HubConfig(endpoint=server.url, **config), Timeouts(connect=2, read=5))  # type: ignore[arg-type]


# --- search -----------------------------------------------------------------------------


def test_search_asks_for_gguf_repositories_and_reads_the_answer(server: HubServer) -> None:
    found = client(server).search("tiny", sort="likes", limit=5)
    assert [r.repo_id for r in found] == ["demo/Tiny-Chat-GGUF", TINY_REPO]
    tiny = found[1]
    assert (tiny.downloads, tiny.likes, tiny.author) == (500, 7, "demo")
    assert tiny.last_modified is not None and tiny.last_modified.year == 2025
    assert tiny.gguf == GgufSummary(1_000_000, "llama", 256)
    (request,) = [r for r in server.requests if r.path == "/api/models"]
    assert request.query["filter"] == ["gguf"]
    assert request.query["search"] == ["tiny"]
    assert request.query["sort"] == ["likes"] and request.query["limit"] == ["5"]
    assert {"downloads", "likes", "lastModified", "gguf"} <= set(request.query["expand"])


@pytest.mark.parametrize(
    ("sort", "param", "first"),
    [
        ("downloads", "downloads", STARTER_REPO),
        ("recent", "lastModified", TINY_REPO),
        ("trending", "trendingScore", "demo/Tiny-Chat-GGUF"),
    ],
)
def test_search_sort_orders(server: HubServer, sort: str, param: str, first: str) -> None:
    found = client(server).search("", sort=sort, limit=10)  # type: ignore[arg-type]
    assert found[0].repo_id == first
    assert "demo/not-gguf" not in {r.repo_id for r in found}
    assert server.requests[-1].query["sort"] == [param]
    assert "search" not in server.requests[-1].query


def test_search_refuses_bad_arguments_before_asking(server: HubServer) -> None:
    with pytest.raises(HubError, match="between 1 and 1000"):
        client(server).search("x", limit=0)
    with pytest.raises(HubError, match="Unknown sort order"):
        client(server).search("x", sort="stars")  # type: ignore[arg-type]
    assert server.requests == []


# --- listing ----------------------------------------------------------------------------


def test_listing_has_sizes_checksums_quantizations_and_grouped_splits(
    server: HubServer, tiny: dict[str, bytes]
) -> None:
    listing = client(server).list_files(TINY_REPO)
    assert listing.revision == server.repos[TINY_REPO].commit
    assert listing.gguf == GgufSummary(1_000_000, "llama", 256)
    by_key = {c.key: c for c in listing.choices}
    assert set(by_key) == {
        "tiny-Q4_K_M.gguf",
        "tiny-Q8_0.gguf",
        "tiny-F16.gguf",
        "split/tiny-split-Q5_K_M-00001-of-00002.gguf",
    }
    q4 = by_key["tiny-Q4_K_M.gguf"]
    assert q4.quantization == "Q4_K_M"
    assert q4.size == len(tiny["tiny-Q4_K_M.gguf"])
    assert q4.files[0].sha256 == hashlib.sha256(tiny["tiny-Q4_K_M.gguf"]).hexdigest()
    q8 = by_key["tiny-Q8_0.gguf"]  # kept in git, not LFS: a blob id instead of a SHA-256
    assert q8.files[0].sha256 is None and q8.files[0].blob_id
    split = by_key["split/tiny-split-Q5_K_M-00001-of-00002.gguf"]
    assert split.quantization == "Q5_K_M" and len(split.files) == 2
    assert split.label == "tiny-split-Q5_K_M (2 parts)"
    assert split.size == sum(len(tiny[f.path]) for f in split.files)
    problems = "\n".join(listing.problems)
    assert "broken-Q6_K: split set of 3 is incomplete (missing part 2, 3)" in problems
    assert "mmproj-tiny-F16.gguf: a vision projector" in problems
    for name in HOSTILE_NAMES:
        assert name.encode("unicode_escape").decode() in problems
    assert "README" not in problems
    (request,) = [r for r in server.requests if r.path.startswith("/api/models/")]
    assert request.path == f"/api/models/{TINY_REPO}" and request.query["blobs"] == ["true"]


def test_listing_falls_back_to_the_tree_when_a_mirror_has_no_file_metadata(
    server: HubServer, tiny: dict[str, bytes]
) -> None:
    server.blobs_supported = False
    listing = client(server).list_files(TINY_REPO)
    q4 = listing.find(quant="q4_k_m")
    assert q4.files[0].sha256 == hashlib.sha256(tiny["tiny-Q4_K_M.gguf"]).hexdigest()
    assert q4.size == len(tiny["tiny-Q4_K_M.gguf"])
    tree = [r for r in server.requests if "/tree/" in r.path]
    assert tree and tree[0].query["recursive"] == ["true"]


def test_listing_finds_choices_by_file_or_quantization(server: HubServer) -> None:
    listing = client(server).list_files(TINY_REPO)
    assert listing.find(file="tiny-F16").key == "tiny-F16.gguf"
    assert listing.find(file="tiny-split-Q5_K_M-00002-of-00002.gguf").quantization == "Q5_K_M"
    assert listing.find(file="tiny-split-Q5_K_M").quantization == "Q5_K_M"
    with pytest.raises(HubError, match=r"no GGUF quantization IQ1_S .*available: "):
        listing.find(quant="IQ1_S")


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, f"{TINY_REPO}: not found on http://127.0.0.1:\\d+ \\(404\\)"),
        (401, f"{TINY_REPO}: access denied \\(401\\).*Settings → Network"),
        (500, f"{TINY_REPO}: the server answered 500"),
    ],
)
def test_listing_errors_are_one_clear_line(server: HubServer, status: int, message: str) -> None:
    server.faults.repo_status[TINY_REPO] = status
    with pytest.raises(HubError, match=message) as info:
        client(server).list_files(TINY_REPO)
    assert "\n" not in str(info.value)


def test_unknown_repository_and_dead_server(server: HubServer) -> None:
    with pytest.raises(HubError, match=r"^nobody/none: not found on .* \(404\)$"):
        client(server).list_files("nobody/none")
    with pytest.raises(HubError, match="not a valid repository id"):
        client(server).list_files("../etc")
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    gone = HubClient(HubConfig(endpoint=f"http://127.0.0.1:{port}"), Timeouts(1, 1))
    with pytest.raises(HubError, match=f"cannot connect to 127.0.0.1:{port}") as info:
        gone.search("x")
    assert info.value.transient
    assert info.value.network, "the window says 'cannot reach the hub' in words for this"


# --- endpoint, token, proxy, offline ---------------------------------------------------


def test_endpoint_precedence() -> None:
    settings = Settings(hub_endpoint="https://mirror.example/")
    assert HubConfig.from_settings(settings, environ={}).endpoint == "https://mirror.example"
    env = {"HF_ENDPOINT": "http://env.example:8080"}
    assert HubConfig.from_settings(settings, environ=env).endpoint == "http://env.example:8080"
    chosen = HubConfig.from_settings(settings, endpoint="http://cli.example", environ=env)
    assert chosen.endpoint == "http://cli.example"
    assert HubConfig.from_settings(Settings(), environ={}).endpoint == DEFAULT_ENDPOINT
    with pytest.raises(HubError, match="not an http:// or https:// address"):
        HubConfig.from_settings(Settings(), endpoint="ftp://x", environ={})


def test_token_goes_to_the_endpoint_and_a_saved_login_never_to_a_mirror(
    server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client(server, token="hf_settings_token").list_files(TINY_REPO)
    assert server.requests[-1].headers["authorization"] == "Bearer hf_settings_token"
    monkeypatch.setenv("HF_TOKEN", "hf_saved_login")
    client(server).list_files(TINY_REPO)
    assert "authorization" not in server.requests[-1].headers


def test_proxy_setting_sends_requests_through_the_proxy(server: HubServer) -> None:
    # The fake hub doubles as the forward proxy; the endpoint's host does not resolve, so
    # the answer can only come through the proxy.
    hub = HubClient(HubConfig(endpoint="http://hub.invalid", proxy=server.url), Timeouts(2, 5))
    try:
        listing = hub.list_files(TINY_REPO)
    finally:
        HubClient(HubConfig(endpoint=server.url)).search("x")  # back to no proxy
    assert listing.repo_id == TINY_REPO
    proxied = [r for r in server.requests if r.headers.get("host") == "hub.invalid"]
    assert proxied and proxied[0].path == f"/api/models/{TINY_REPO}"


def test_offline_switch_refuses_every_call_without_a_connection(server: HubServer) -> None:
    hub = client(server, offline=True)
    with socket_guard() as attempts:
        for call in (
            lambda: hub.search("tiny"),
            lambda: hub.list_files(TINY_REPO),
            lambda: hub.open_file(TINY_REPO, "main", "tiny-F16.gguf").__enter__(),
        ):
            with pytest.raises(HubOfflineError) as info:
                call()
            assert str(info.value) == OFFLINE_MESSAGE
    assert attempts == []
    assert server.requests == []


def test_socket_guard_does_catch_a_real_attempt(server: HubServer) -> None:
    with socket_guard() as attempts, pytest.raises(HubError, match="cannot connect"):
        HubClient(HubConfig(endpoint="http://127.0.0.9:9"), Timeouts(1, 1)).search("x")
    assert attempts


def test_offline_from_settings_and_environment() -> None:
    assert HubConfig.from_settings(Settings(offline=True), environ={}).offline
    assert HubConfig.from_settings(Settings(), offline=True, environ={}).offline
    env = HubConfig.from_settings(Settings(), environ={"HF_HUB_OFFLINE": "1"})
    assert env.offline and "HF_HUB_OFFLINE" in env.offline_reason
    assert not HubConfig.from_settings(Settings(), environ={}).offline


def test_redirect_hosts() -> None:
    mirror = HubConfig(endpoint="https://mirror.corp:8443", download_hosts=("cdn.corp",))
    assert mirror.may_redirect_to("mirror.corp") and mirror.may_redirect_to("CDN.corp")
    assert mirror.may_redirect_to("lfs.mirror.corp")  # a subdomain the endpoint names
    assert not mirror.may_redirect_to("cdn-lfs.hf.co")
    assert not mirror.may_redirect_to("evilmirror.corp") and not mirror.may_redirect_to("corp")
    official = HubConfig()
    assert official.may_redirect_to("cdn-lfs.hf.co")
    assert official.may_redirect_to("cas-bridge.xethub.hf.co")
    assert not official.may_redirect_to("evil.example") and not official.may_redirect_to(
        "hf.co.evil"
    )


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("qwen2.5-7b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("Llama-3.2-1B-Instruct-Q4_K_M-00001-of-00002.gguf", "Q4_K_M"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1"),
        ("Mistral-7B-IQ2_XXS.gguf", "IQ2_XXS"),
        ("phi-IQ4_XS.gguf", "IQ4_XS"),
        ("gemma-2b-it-q8_0.gguf", "Q8_0"),
        ("model-Q4_K_M_imatrix.gguf", "Q4_K_M"),
        ("unsloth-UD-Q4_K_XL.gguf", "Q4_K_XL"),
        ("model.fp16.gguf", "F16"),
        ("model-BF16.gguf", "BF16"),
        ("Qwen2-0.5B.gguf", None),
        ("model.gguf", None),
    ],
)
def test_quantization_from_name(name: str, quant: str | None) -> None:
    assert quantization_from_name(name) == quant


@pytest.mark.parametrize(
    "path",
    [
        "../../x.gguf",
        "sub/../../x.gguf",
        "..\\x.gguf",
        "C:/x.gguf",
        "/etc/x.gguf",
        "a//b.gguf",
        ".hidden.gguf",
        "x\x00.gguf",
        "bad:name.gguf",
        "CON.gguf",
        "",
    ],
)
def test_hostile_paths_are_refused(path: str) -> None:
    with pytest.raises(HubError, match="Refused file name"):
        check_repo_path(path)


def test_good_paths_and_repo_ids() -> None:
    assert check_repo_path("Q4_K_M/model-Q4_K_M-00001-of-00002.gguf")
    assert check_repo_id("bartowski/Llama-3.2-1B-Instruct-GGUF") and check_repo_id("gpt2")
    for bad in ("a/b/c", "a/../b", "-/x", "a/.b", "", "a--b/c"):
        with pytest.raises(HubError):
            check_repo_id(bad)


# --- fit and recommendation --------------------------------------------------------------


def _listing(**sizes: float) -> RepoListing:
    choices = tuple(
        FileChoice((RemoteFile(f"m-{q}.gguf", int(gb * GB), "0" * 64),), q)
        for q, gb in sizes.items()
    )
    return RepoListing("o/m", "c" * 40, choices, (), GgufSummary(8 * GB, "llama", 8192))


LADDER = {"Q2_K": 3.0, "Q4_0": 4.5, "Q4_K_M": 4.9, "Q5_K_M": 5.7, "Q8_0": 8.5, "F16": 16.0}


@pytest.mark.parametrize(
    ("ram_gb", "vram_gb", "choice", "fit"),
    [
        (32, None, "Q5_K_M", Fit.FITS),  # the largest of the preferred three that fits
        (6.5, None, "Q4_K_M", Fit.FITS),
        (6.0, None, "Q4_0", Fit.FITS),
        (4.5, None, "Q2_K", Fit.FITS),  # no preferred one fits: the largest quantized one
        (3.0, 3.0, "Q4_0", Fit.PARTIAL_OFFLOAD),  # nothing fits whole: partial offload
        (2.0, None, None, None),
    ],
)
def test_recommendation(
    ram_gb: float, vram_gb: float | None, choice: str | None, fit: Fit | None
) -> None:
    vram = None if vram_gb is None else int(vram_gb * GB)
    memory = MachineMemory(int(ram_gb * GB), vram, vram is not None)
    fits = assess_listing(_listing(**LADDER), memory)
    picked = recommended(fits)
    assert (picked.quantization if picked else None) == choice
    assert sum(f.recommended for f in fits) == (1 if choice else 0)
    if picked is not None:
        assert next(f.fit.fit for f in fits if f.recommended) is fit
    if ram_gb < 16:
        assert {f.choice.quantization: f.fit.fit for f in fits}["F16"] is Fit.TOO_LARGE


def test_recommendation_without_preferred_quants_skips_unquantized() -> None:
    fits = assess_listing(_listing(F16=2.0, Q8_0=1.0, Q6_K=0.8), MachineMemory(64 * GB))
    assert recommended(fits) is not None
    assert recommended(fits).quantization == "Q8_0"  # type: ignore[union-attr]
    only_f16 = assess_listing(_listing(F16=2.0, F32=4.0), MachineMemory(64 * GB))
    assert recommended(only_f16).quantization == "F16"  # type: ignore[union-attr]


def test_fit_of_the_real_starter_listing(server: HubServer) -> None:
    listing = client(server).list_files(STARTER_REPO)
    (only,) = assess_listing(listing, MachineMemory(8 * GB))
    assert only.choice.name == STARTER_NAME and only.recommended
    assert only.fit.fit is Fit.FITS and "4,096 tokens" in only.fit.reason
