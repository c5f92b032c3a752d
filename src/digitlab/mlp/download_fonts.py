"""Fetch handwriting fonts: Google Fonts' hand-drawn and school-script faces, as Fontsource
packages them on the npm registry (OFL 1.1 or Apache 2.0).

`train.fonts` draws their digits as a second source of writers beside MNIST's: European 1s
with a long upstroke, crossed 7s, open 4s and the school scripts of a dozen countries.
One file is taken from each package, the Latin 400-weight WOFF, and must have the pinned
SHA-256. Nothing is installed, and npm itself is not needed.
"""

from __future__ import annotations

import io
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from digitlab.core.config import require
from digitlab.core.errors import DownloadError
from digitlab.core.io import write_folder
from digitlab.mlp.fetch import SourceError, one_line, sha256

SUFFIX = ".woff"
# Hand-drawn faces and TypeTogether's Playwrite school scripts (Brazil, Czechia, Germany,
# Denmark, Spain, France, Hungary, Italy, the Netherlands, Norway, Poland, the US): font
# name and the SHA-256 of its Latin 400-weight .woff at version 5.3.0.
FONTS = {
    "architects-daughter": "0249dd5f81431dbf8a8406996c43f8018bf707221cf261d75145f083bb7091cf",
    "caveat": "38b98dbeb922a14a74dfb41f83fc24e0e645e2eed9ce72145fefbdae8828cbfb",
    "cedarville-cursive": "8d8360a98492b42d02c17e94c38bcd2a3cce6db6b9b430f3a110e71f81d7149c",
    "coming-soon": "d0a25ae9b9ffb2a2c235687f1698af2bbe18a84f47f1b099077a50382b812858",
    "covered-by-your-grace": "876d8371eedf1f9add237910aea034ca42cd5bdc8f7d722c7a04819ab3f711b8",
    "dawning-of-a-new-day": "db6b4ace05ee8134f67c89150c387961d9c4f3e8ecc3efecfe8510738c3158fd",
    "gloria-hallelujah": "31e7def8cf155d4dcc98216517ad509923a8a197bc9c8937668d04767c52040e",
    "gochi-hand": "82a4149218f2edccef96d2b0ed5bf92adc6ea290222bac4dcfa3de91afb6b3a3",
    "handlee": "9a8af5254df769bbdc196fd998231daec67c81dc3d6fd6f294ed80c2c4343551",
    "homemade-apple": "998f34b48e0bcb8974dc6e8d94961a87689ca40e3258554d2f6fc3778b1968a3",
    "indie-flower": "2cf7154e899ad16246196238d6d13f0135c5feba2d8ccde5d97a22664d012660",
    "just-another-hand": "996689005263a02315843bd1eff3f67b71ec1ca25be7fa9ee4523e4d282b7b89",
    "kalam": "70ab8c1d2c10a28f213c6f1c359888624d5e650ffcd64f93a8194c3e14403746",
    "la-belle-aurore": "d5ec94f05c2cb9ab9dd5bba03faede9a6d767803e36b6b5df36f64ada8546ce0",
    "mynerve": "5d9deb86c7caed58b6c2624cc2ff1e4cd76bd389e99cf5d62f6342b0242d1d29",
    "nothing-you-could-do": "454bff123de1c8224aff670f12797ca91cf54becf6f8359391bd37a6dd68a60e",
    "over-the-rainbow": "e721f12763490802b576b3c1511cf4a0c6a33221772bf846885a295e5b758e3e",
    "patrick-hand": "0f7031f6665437e04d6f354c5f64d6ae6777b498afbe804638c45b957a7ce8aa",
    "playwrite-br": "c31d44bef2634d8ab7d484efda842dba90c9ee8cb186c42521061de56ee41b32",
    "playwrite-cz": "97eb5b8985600339c77a0b8a0ae0af4a3c858fd7b6dd052fae985c98db15c713",
    "playwrite-de-grund": "2ef35798b3ea53e8ff8501c4a1d4608096b0b74c3a165b5ea53b1b694484de94",
    "playwrite-dk-loopet": "aa717d678634ad17d8cf213b890c9224d3811e5a9feacd77387a860219b40b20",
    "playwrite-es": "f3d732134209dac1707259cc8654e9e5b644eb4845f38745475ee3a89958f8f4",
    "playwrite-fr-moderne": "2de15bb16c4f045edfeece7d75654ee87fd91012e939ff4dc43959cb0602509e",
    "playwrite-hu": "8185ca1b317afb4ef1c36731f8e8ce1a563e9d8a7ee8ca9a7ee112902282004f",
    "playwrite-it-moderna": "46bbbe6618e1807652073bb16a8af99178a105591768711cf84286650bca6511",
    "playwrite-nl": "8a4510dab5571fed635e852bc776a6f3e8b9398b0bfabb2903600e95733bc580",
    "playwrite-no": "17af90ebfc46c222de4592b40365003933f58da511792c756d5452c59617c219",
    "playwrite-pl": "4f68a8bba4692b522e66771b9a3c5d67a4f5eb296da06ff717b50bfbd0c56d73",
    "playwrite-us-trad": "198bc82b022ab9844fdb6645aecc87041ed99b1373d1c89a0f291f35a056223d",
    "reenie-beanie": "1b86681155e125625f01839b2e6688dde2b2a7766a8eb49645b3a8707c2bee9f",
    "rock-salt": "358d065405a805204d48cc51cc48a8447f8d86369aa05d44c70e0111d7ee7e29",
    "schoolbell": "a448b8f4209a8ca16adc48753170f40a57e17f70675963e092501ed48842e4c8",
    "shadows-into-light": "93cff8110a18bb3e1fb0179c95f706ed1e8037e2e527c4cb425b46deaddbd975",
    "sue-ellen-francisco": "e2c988155c07d4a26b81216397fa1841af0916c9737a61e05ea38bd1bd5361b1",
    "waiting-for-the-sunrise": "8a2cf921d4129a7d447370c559d0687579e842196c9e80a774fb428b1755911b",
    "zeyada": "91d3613bd2d6ca6d14bfba2a7c3918ee4ced380d570d1b29a6ebfbcf56e7a6ff",
}


@dataclass(frozen=True)
class DownloadFontsParams:
    """Params `download_fonts`: sources in order, the registry, the version and each font's hash."""

    sources: tuple[str, ...] = ("npm",)
    registry: str = "https://registry.npmjs.org"
    version: str = "5.3.0"  # of every @fontsource/<font> package
    fonts: dict[str, str] = field(default_factory=lambda: dict(FONTS))  # font: its .woff's SHA-256

    def __post_init__(self) -> None:
        require(len(self.sources) >= 1, "sources", list(self.sources), "at least one source")
        for source in self.sources:
            ok = source == "npm" or source.startswith("dir:")
            require(ok, "sources", source, "'npm' or 'dir:/folder/holding/<font>.woff'")
        require(len(self.fonts) >= 1, "fonts", self.fonts, "at least one font: its sha256")
        for name, value in self.fonts.items():
            ok_name = name.replace("-", "").isalnum() and name == name.lower()
            require(ok_name, "fonts", name, "Fontsource package names: lower-case, digits, -")
            ok = len(value) == 64 and all(c in "0123456789abcdef" for c in value)
            require(ok, f"fonts.{name}", value, "64 lower-case hex digits")


def download_fonts(
    params: DownloadFontsParams, out: Path, log: Callable[[str], None] = print
) -> Mapping[str, str]:
    """Fill `out` with <font>.woff for every pinned font, each checked; {font: its source}.

    Each font comes from the first source that has it with the pinned hash. DownloadError,
    naming the font, every source tried and why it failed, if none has it; then `out`
    is left as it was.
    """
    found: dict[str, bytes] = {}
    used: dict[str, str] = {}
    unreachable: dict[str, str] = {}  # a registry that failed once is not asked 36 more times
    for number, (name, expected) in enumerate(sorted(params.fonts.items()), start=1):
        failures = []
        for source in params.sources:
            if source in unreachable:
                failures.append(f"{source}: {unreachable[source]}")
                continue
            try:
                data = _fetch(source, name, params)
                if sha256(data) != expected:
                    raise SourceError(
                        f"{name}{SUFFIX} has sha256 {sha256(data)}, expected {expected}"
                    )
            except SourceError as err:
                failures.append(f"{source}: {err}")
                if isinstance(err, UnreachableError):
                    unreachable[source] = str(err)
                continue
            found[name + SUFFIX], used[name] = data, source
            count = f"{number}/{len(params.fonts)}"
            log(f"download_fonts: {count} {name} ({len(data):,} bytes, {source})")
            break
        else:
            raise DownloadError(
                f"no source of the font {name} worked ({'; '.join(failures)}). To place it by "
                f"hand, put {name}{SUFFIX} in a folder and add 'dir:/that/folder' to "
                "download_fonts.sources in params.yaml, or drop the font from download_fonts.fonts"
            )
    write_folder(out, found)
    return used


class UnreachableError(SourceError):
    """The registry could not be reached at all (no network, a firewall, a bad address)."""


def package_url(registry: str, name: str, version: str) -> str:
    """Where the npm registry keeps the tarball of @fontsource/<name> at version."""
    return f"{registry.rstrip('/')}/@fontsource/{name}/-/{name}-{version}.tgz"


def _fetch(source: str, name: str, params: DownloadFontsParams) -> bytes:
    if source.startswith("dir:"):
        path = Path(source.removeprefix("dir:")).expanduser() / f"{name}{SUFFIX}"
        if not path.is_file():
            raise SourceError(f"{path} is not a file")
        return path.read_bytes()
    url = package_url(params.registry, name, params.version)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            tarball = response.read()
    except urllib.error.HTTPError as err:  # reached: this package or version is not there
        raise SourceError(f"{url}: {one_line(err)}") from None
    except (urllib.error.URLError, OSError) as err:
        raise UnreachableError(f"{url}: {one_line(err)}") from None
    member = f"package/files/{name}-latin-400-normal{SUFFIX}"
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            handle = archive.extractfile(member)
            if handle is None:
                raise KeyError(member)
            return handle.read()
    except (tarfile.TarError, KeyError, OSError, EOFError) as err:
        raise SourceError(f"{url} holds no readable {member} ({one_line(err)})") from None
