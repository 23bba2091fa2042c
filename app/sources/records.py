"""Typed records the source clients return. Services never see upstream JSON."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceStatus:
    name: str  # MUSICBRAINZ, COVERARTARCHIVE, SPOTIFY, DISCOGS
    enabled: bool
    reason: str = ""  # why it is disabled
    base_url: str = ""


# --- MusicBrainz -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MbArtistCredit:
    """One name in an artist credit; `join_phrase` glues it to the next (" & ", " feat. ")."""

    name: str  # as credited on this release
    artist_id: str
    artist_name: str
    sort_name: str | None = None
    disambiguation: str | None = None
    join_phrase: str = ""


@dataclass(frozen=True)
class MbTrack:
    id: str
    title: str
    disc: int  # medium position
    position: int  # 1-based position on the medium
    number: str  # as printed ("1", "A1")
    length_ms: int | None
    recording_id: str | None
    isrcs: tuple[str, ...] = ()
    artist_credits: tuple[MbArtistCredit, ...] = ()
    is_data: bool = False

    @property
    def artist_phrase(self) -> str:
        return credit_phrase(self.artist_credits)


@dataclass(frozen=True)
class MbMedium:
    position: int
    format: str | None
    title: str | None
    track_count: int
    tracks: tuple[MbTrack, ...] = ()  # audio tracks (empty in search results)
    data_tracks: tuple[MbTrack, ...] = ()
    pregap: MbTrack | None = None


@dataclass(frozen=True)
class MbLabel:
    name: str | None
    label_id: str | None
    catalog_number: str | None


@dataclass(frozen=True)
class MbReleaseGroup:
    id: str
    title: str
    primary_type: str | None
    secondary_types: tuple[str, ...] = ()
    first_release_date: str | None = None


@dataclass(frozen=True)
class MbRelease:
    id: str
    title: str
    date: str | None  # partial: YYYY, YYYY-MM or YYYY-MM-DD
    country: str | None
    status: str | None
    barcode: str | None
    disambiguation: str | None
    packaging: str | None
    artist_credits: tuple[MbArtistCredit, ...]
    labels: tuple[MbLabel, ...]
    release_group: MbReleaseGroup | None
    media: tuple[MbMedium, ...]
    genres: tuple[str, ...] = ()
    track_count: int = 0  # audio tracks on all media (also known from search results)
    score: int | None = None  # search hits only
    malformed: str | None = None  # a search hit that could not be read: why (the sync refuses it)

    @property
    def tracks(self) -> tuple[MbTrack, ...]:
        """Audio tracks of every medium, in disc then position order."""
        return tuple(t for m in self.media for t in m.tracks)

    @property
    def disc_count(self) -> int:
        return len(self.media)

    @property
    def artist_phrase(self) -> str:
        return credit_phrase(self.artist_credits)

    @property
    def duration_ms(self) -> int | None:
        lengths = [t.length_ms for t in self.tracks]
        return sum(lengths) if lengths and None not in lengths else None  # type: ignore[arg-type]


@dataclass(frozen=True)
class MbSearchPage:
    count: int  # hits in total
    offset: int
    releases: tuple[MbRelease, ...]


@dataclass(frozen=True)
class MbArtist:
    id: str
    name: str
    sort_name: str | None
    type: str | None
    country: str | None
    disambiguation: str | None
    begin: str | None = None
    end: str | None = None
    genres: tuple[str, ...] = ()


def credit_phrase(credits: tuple[MbArtistCredit, ...]) -> str:
    """The credit as printed: names glued by their join phrases."""
    return "".join(c.name + c.join_phrase for c in credits).strip()


# --- Cover Art Archive -------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverImage:
    id: str
    url: str
    front: bool
    back: bool
    types: tuple[str, ...]
    approved: bool
    thumbnail_250: str | None = None
    thumbnail_500: str | None = None
    thumbnail_1200: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class CoverArtListing:
    release_url: str | None
    images: tuple[CoverImage, ...]

    @property
    def front(self) -> CoverImage | None:
        return next((i for i in self.images if i.front), None)


# --- Spotify -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpotifyArtist:
    id: str | None
    name: str


@dataclass(frozen=True)
class SpotifyImage:
    url: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class SpotifyTrack:
    id: str | None
    title: str
    disc_number: int
    track_number: int
    duration_ms: int | None
    explicit: bool
    artists: tuple[SpotifyArtist, ...]
    isrc: str | None = None  # only on full track objects
    preview_url: str | None = None


@dataclass(frozen=True)
class SpotifyAlbum:
    """A full album (lookup) or a simplified one (new releases, search): then `tracks` is empty."""

    id: str
    title: str
    album_type: str | None
    release_date: str | None  # partial, cut to the stated precision
    release_date_precision: str | None
    total_tracks: int | None
    artists: tuple[SpotifyArtist, ...]
    images: tuple[SpotifyImage, ...] = ()
    label: str | None = None
    upc: str | None = None
    genres: tuple[str, ...] = ()
    tracks: tuple[SpotifyTrack, ...] = ()
    tracks_total: int | None = None  # what the tracks listing reports
    malformed: str | None = None  # a listing entry that could not be read: why

    @property
    def image_url(self) -> str | None:
        """The largest image."""
        if not self.images:
            return None
        return max(self.images, key=lambda i: (i.width or 0) * (i.height or 0)).url

    @property
    def duration_ms(self) -> int | None:
        lengths = [t.duration_ms for t in self.tracks]
        return sum(lengths) if lengths and None not in lengths else None  # type: ignore[arg-type]


@dataclass(frozen=True)
class SpotifyAlbumPage:
    items: tuple[SpotifyAlbum, ...]
    total: int
    offset: int
    limit: int
    next: str | None  # path + query on the configured base URL, or None on the last page


# --- Discogs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscogsArtist:
    id: int | None
    name: str  # as Discogs stores it: "Persuader, The", "Alias (2)"
    anv: str = ""  # the name as credited on this release
    join: str = ""


@dataclass(frozen=True)
class DiscogsLabel:
    id: int | None
    name: str
    catalog_number: str | None


@dataclass(frozen=True)
class DiscogsTrack:
    position: str  # "A1", "1-03", "" for headings
    title: str
    duration_ms: int | None
    type: str = "track"  # track, heading, index


@dataclass(frozen=True)
class DiscogsRelease:
    id: int
    title: str
    year: int | None
    released: str | None  # partial date
    country: str | None
    artists: tuple[DiscogsArtist, ...]
    labels: tuple[DiscogsLabel, ...]
    formats: tuple[str, ...]
    genres: tuple[str, ...]
    styles: tuple[str, ...]
    tracklist: tuple[DiscogsTrack, ...]
    master_id: int | None = None
    barcode: str | None = None
    image_url: str | None = None
    data_quality: str | None = None

    @property
    def tracks(self) -> tuple[DiscogsTrack, ...]:
        return tuple(t for t in self.tracklist if t.type == "track")


@dataclass(frozen=True)
class DiscogsMaster:
    id: int
    title: str
    year: int | None
    main_release_id: int | None
    artists: tuple[DiscogsArtist, ...]
    genres: tuple[str, ...]
    styles: tuple[str, ...]
    tracklist: tuple[DiscogsTrack, ...]
    image_url: str | None = None

    @property
    def tracks(self) -> tuple[DiscogsTrack, ...]:
        return tuple(t for t in self.tracklist if t.type == "track")


@dataclass(frozen=True)
class DiscogsSearchResult:
    id: int
    type: str  # release, master, artist, label
    title: str  # "Artist - Title" for releases and masters
    year: int | None = None
    country: str | None = None
    label: str | None = None
    catalog_number: str | None = None
    formats: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    thumb: str | None = None


@dataclass(frozen=True)
class DiscogsSearchPage:
    items: tuple[DiscogsSearchResult, ...]
    total: int
    page: int
    pages: int
