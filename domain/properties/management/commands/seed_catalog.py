"""`manage.py seed_catalog`: the demo catalog, or a generated one for benchmarks."""

import random
from decimal import Decimal
from itertools import islice

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from domain.properties.models import Category, Property
from domain.properties.recommendations import evict_all_recommendations

# name -> subtree. Properties go to the categories listed in DEMO_KINDS.
DEMO_TREE = {
    "Residential": {
        "Villas": {"Beachfront Villas": {}, "Hillside Villas": {}, "Lakeside Villas": {}},
        "Apartments": {"Penthouses": {}, "Serviced Apartments": {}},
        "Townhouses": {},
        "Chalets": {},
    },
    "Commercial": {
        "Offices": {"Grade A Offices": {}},
        "Retail": {"Boutique Storefronts": {}},
    },
    "Hospitality": {"Boutique Hotels": {}, "Private Islands": {}},
}
# category -> (what a title calls it, price range in thousands, bedroom range)
DEMO_KINDS = {
    "Beachfront Villas": ("Beachfront Villa", (2_500, 18_000), (4, 9)),
    "Hillside Villas": ("Hillside Villa", (1_800, 9_500), (3, 7)),
    "Lakeside Villas": ("Lakeside Villa", (2_000, 12_000), (3, 8)),
    "Penthouses": ("Penthouse", (3_000, 40_000), (2, 5)),
    "Serviced Apartments": ("Serviced Apartment", (650, 3_200), (1, 3)),
    "Townhouses": ("Townhouse", (1_200, 7_500), (3, 5)),
    "Chalets": ("Ski Chalet", (2_200, 14_000), (4, 8)),
    "Grade A Offices": ("Office Floor", (4_000, 30_000), (0, 0)),
    "Boutique Storefronts": ("Boutique Storefront", (900, 6_000), (0, 0)),
    "Boutique Hotels": ("Boutique Hotel", (8_000, 60_000), (10, 40)),
    "Private Islands": ("Private Island Estate", (15_000, 95_000), (6, 14)),
}
LOCATIONS = [
    "Monaco",
    "Malibu, California",
    "Lake Como, Italy",
    "Santorini, Greece",
    "Dubai Marina",
    "Palm Jumeirah, Dubai",
    "Gulshan, Dhaka",
    "Cox's Bazar",
    "Aspen, Colorado",
    "St. Barths",
    "Mykonos, Greece",
    "Marbella, Spain",
    "Saint-Tropez, France",
    "Courchevel, France",
    "Gstaad, Switzerland",
    "The Hamptons, New York",
    "Mayfair, London",
    "Bali, Indonesia",
    "Maldives",
    "Cape Town, South Africa",
    "Sydney Harbour",
    "Amalfi Coast, Italy",
]
ADJECTIVES = [
    "Sea View",
    "Sunset",
    "Azure",
    "Grand",
    "Serene",
    "Modernist",
    "Heritage",
    "Panoramic",
    "Secluded",
    "Contemporary",
    "Palm Grove",
    "Ivory",
    "Coral",
    "Skyline",
    "Golden Sands",
]
AMENITIES = [
    "infinity pool",
    "private beach",
    "wine cellar",
    "home cinema",
    "gym",
    "spa",
    "helipad",
    "concierge",
    "smart home",
    "sea view",
    "landscaped garden",
    "staff quarters",
    "elevator",
    "rooftop terrace",
    "24h security",
    "underground parking",
    "boat dock",
    "tennis court",
]
DEMO_PROPERTY_COUNT = 48

# The words of generated descriptions: a few sentences each, picked and
# filled at random, so that a search term is as common or as rare as in a
# real catalog (a street matches about 0.3% of them, "marble" many).
STREETS = [
    "Ashcombe",
    "Belgrave",
    "Carrington",
    "Dunmore",
    "Ellesmere",
    "Fairhaven",
    "Glenrothes",
    "Harrowby",
    "Inverleith",
    "Kingsmere",
    "Lansdowne",
    "Montague",
    "Northcote",
    "Oakhampton",
    "Pemberton",
    "Queensbury",
    "Rosebery",
    "Sandringham",
    "Thornbury",
    "Upperton",
    "Vanbrugh",
    "Westbourne",
    "Yarborough",
    "Zetland",
    "Abercorn",
    "Bramshott",
    "Cadogan",
    "Devonshire",
    "Egerton",
    "Fitzroy",
    "Grosvenor",
    "Holland",
    "Ilchester",
    "Jermyn",
    "Kensington",
    "Lowndes",
    "Marlborough",
    "Netherhall",
    "Onslow",
    "Portman",
]
STREET_KINDS = ["Lane", "Road", "Square", "Crescent", "Gardens", "Terrace", "Walk", "Row"]
MATERIALS = ["marble", "travertine", "oak", "walnut", "limestone", "teak", "onyx", "terrazzo", "granite", "cedar"]
ROOMS = ["living room", "master suite", "kitchen", "library", "dining hall", "study", "orangery", "games room"]
VIEWS = [
    "the bay",
    "the old town",
    "the mountains",
    "the vineyards",
    "the harbour",
    "the lake",
    "the golf course",
    "the skyline",
    "the olive groves",
    "the open sea",
]
OUTDOORS = ["a terrace", "a walled garden", "a courtyard", "a veranda", "a loggia", "a rooftop deck", "a lawn"]
FEATURES = [
    "original fireplaces",
    "vaulted ceilings",
    "a spiral staircase",
    "stained glass",
    "a frescoed hall",
    "hand-laid parquet",
    "a stone archway",
    "floor-to-ceiling windows",
]
LANDMARKS = ["the marina", "the old cathedral", "the beach club", "the opera house", "the airport", "the ski lifts"]
SENTENCES = [
    "Bright and generous, its rooms open onto {outdoor} with {material} floors throughout.",
    "The {room} looks out over {view}, and {feature} set the tone.",
    "Restored in {year}, it keeps {feature} beside a {material} kitchen.",
    "Residents have {amenity} and {other_amenity}, {minutes} minutes from {landmark}.",
    "A {room} in {material} leads to {outdoor} facing {view}.",
    "Quiet at night, lively by day: {landmark} is a {minutes}-minute walk.",
    "Staff quarters, {amenity} and a {material} bathroom complete the {room} wing.",
]

# Generated rows carry these slug prefixes: they mark the generated catalog,
# and numbered slugs under them are unique by construction.
GENERATED_CATEGORY_PREFIX = "gen-cat-"
GENERATED_PROPERTY_PREFIX = "gen-prop-"
BATCH_SIZE = 2000


class Command(BaseCommand):
    help = (
        "Seed the property catalog. With no options: a demo catalog (a category tree three "
        "levels deep, 48 properties); running it again creates nothing new. With --categories N "
        "--depth D --properties M: a generated catalog for benchmarks (N categories over D levels, "
        "M properties, bulk inserted), kept apart from the demo by its slug prefixes "
        f"'{GENERATED_CATEGORY_PREFIX}' and '{GENERATED_PROPERTY_PREFIX}'. If a generated catalog "
        "of exactly that size exists, nothing is done; otherwise the previous generated catalog "
        "is deleted and replaced, so there is at most one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--categories", type=int, help="generated mode: number of categories (N >= D)")
        parser.add_argument("--depth", type=int, help="generated mode: levels of the category tree (D >= 1)")
        parser.add_argument("--properties", type=int, help="generated mode: number of properties (M >= 0)")

    def handle(self, *args, categories, depth, properties, **options):
        sizes = (categories, depth, properties)
        if sizes == (None, None, None):
            self.seed_demo()
        elif None in sizes:
            raise CommandError("--categories, --depth and --properties go together.")
        elif not (1 <= depth <= categories) or properties < 0:
            raise CommandError("Need 1 <= depth <= categories and properties >= 0.")
        else:
            self.seed_generated(categories, depth, properties)

    # --- demo catalog ---------------------------------------------------------

    @transaction.atomic
    def seed_demo(self):
        categories = {}
        created = 0

        def create_tree(tree, parent):
            nonlocal created
            for name, subtree in tree.items():
                category, is_new = Category.objects.get_or_create(
                    slug=slugify(name), defaults={"name": name, "parent": parent}
                )
                categories[name] = category
                created += is_new
                create_tree(subtree, category)

        create_tree(DEMO_TREE, None)
        for fields in demo_properties(categories):
            created += Property.objects.get_or_create(slug=fields.pop("slug"), defaults=fields)[1]
        self.stdout.write(f"Demo catalog ready ({created} rows created).")

    # --- generated catalog ----------------------------------------------------

    def seed_generated(self, category_count, depth, property_count):
        if generated_catalog_size() == (category_count, depth, property_count):
            self.stdout.write("A generated catalog of that size exists; nothing to do.")
            return
        try:
            with transaction.atomic():
                delete_generated_catalog()
                generated_categories = create_generated_categories(category_count, depth)
                create_generated_properties(property_count, generated_categories)
                # bulk_create sends no post_save, so the cached lists are dropped
                # here (once the transaction commits).
                evict_all_recommendations()
        except ProtectedError as error:
            raise CommandError(
                "The previous generated catalog is in use (bookings or other properties refer to "
                f"it) and cannot be replaced: {error.args[0]}"
            ) from error
        refresh_planner_statistics()
        self.stdout.write(
            f"Generated catalog: {category_count} categories over {depth} levels, {property_count} properties."
        )


def refresh_planner_statistics() -> None:
    """ANALYZE the catalog's tables: after a bulk insert the planner's row
    estimates are far off until autovacuum comes round, and the subtree
    queries choose bad plans (measured: 105 ms instead of 65 ms)."""
    with connection.cursor() as cursor:
        for model in (Category, Property):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def demo_properties(categories: dict[str, Category]):
    """The demo properties' fields, the same on every run (a fixed random seed)."""
    rng = random.Random(2026)
    kinds = list(DEMO_KINDS.items())
    titles = set()
    while len(titles) < DEMO_PROPERTY_COUNT:
        category_name, (kind, (low, high), (min_beds, max_beds)) = kinds[len(titles) % len(kinds)]
        location = rng.choice(LOCATIONS)
        title = f"{rng.choice(ADJECTIVES)} {kind}, {location}"
        if title in titles:
            continue
        titles.add(title)
        bedrooms = rng.randint(min_beds, max_beds)
        yield {
            "slug": slugify(title),
            "title": title,
            "description": f"A {kind.lower()} in {location} with {bedrooms or 'open-plan'} "
            f"{'bedrooms' if bedrooms else 'space'}, finished to the highest standard.",
            "location": location,
            "price": Decimal(rng.randrange(low, high, 5) * 1000),
            "bedrooms": bedrooms,
            "bathrooms": max(1, bedrooms - rng.randint(0, 2)) if bedrooms else rng.randint(1, 4),
            "category": categories[category_name],
            "amenities": rng.sample(AMENITIES, rng.randint(3, 6)),
            # A few inactive or booked ones, so the filters have something to tell apart.
            "status": Property.Status.INACTIVE if rng.random() < 0.1 else Property.Status.ACTIVE,
            "is_available": rng.random() >= 0.15,
        }


def generated_catalog_size() -> tuple[int, int, int]:
    """(categories, depth, properties) of the generated catalog in the database."""
    parents = dict(Category.objects.filter(slug__startswith=GENERATED_CATEGORY_PREFIX).values_list("id", "parent_id"))
    depth = 0
    for category_id in parents:
        level = 0
        while category_id in parents and level <= len(parents):
            category_id, level = parents[category_id], level + 1
        depth = max(depth, level)
    properties = Property.objects.filter(slug__startswith=GENERATED_PROPERTY_PREFIX).count()
    return len(parents), depth, properties


def delete_generated_catalog() -> None:
    Property.objects.filter(slug__startswith=GENERATED_PROPERTY_PREFIX).delete()
    generated = Category.objects.filter(slug__startswith=GENERATED_CATEGORY_PREFIX)
    # A category's parent is PROTECTed: delete the tree from its leaves up.
    while generated.exists():
        generated.filter(children__isnull=True).delete()


def create_category_levels(sizes: list[int], *, name_of, slug_of) -> list[list[Category]]:
    """A category tree level by level, `sizes[n]` categories on level n + 1, each below one of the level
    above, round-robin; one bulk_create per level. `name_of(level, number)` and `slug_of(number)` name
    them (`number` counts from 1 over the whole tree). Returns the levels, top first. The tests' trees
    come from here too."""
    levels, above, number = [], [None], 0
    for level, size in enumerate(sizes, start=1):
        # PostgreSQL and SQLite return the new ids, which the next level needs.
        above = Category.objects.bulk_create(
            Category(name=name_of(level, number + i + 1), slug=slug_of(number + i + 1), parent=above[i % len(above)])
            for i in range(size)
        )
        levels.append(above)
        number += size
    return levels


def create_generated_categories(count: int, depth: int) -> list[Category]:
    """`count` categories over `depth` levels, each below one of the level above; returns them all."""
    # Even level sizes, the remainder on the deepest levels, so that sizes never
    # shrink going down and every category above the last level has children.
    sizes = [count // depth + (level >= depth - count % depth) for level in range(depth)]
    levels = create_category_levels(
        sizes,
        name_of=lambda level, number: f"Collection {number} (level {level})",
        slug_of=lambda number: f"{GENERATED_CATEGORY_PREFIX}{number}",
    )
    return [category for level in levels for category in level]


def create_generated_properties(count: int, categories: list[Category]) -> None:
    """`count` properties spread over `categories`, inserted in batches.

    bulk_create skips save(), hence the slug derivation: the numbered slugs are
    unique by construction.
    """
    rng = random.Random(count)
    kinds = [kind for kind, _, _ in DEMO_KINDS.values()]
    rows = (
        Property(
            title=f"{rng.choice(ADJECTIVES)} {rng.choice(kinds)}, {location}",
            slug=f"{GENERATED_PROPERTY_PREFIX}{number}",
            description=generated_description(rng, location),
            location=location,
            price=Decimal(rng.randrange(300, 60_000) * 1000),
            bedrooms=rng.randint(0, 10),
            bathrooms=rng.randint(1, 8),
            category=categories[number % len(categories)],
            amenities=rng.sample(AMENITIES, 3),
            status=Property.Status.INACTIVE if rng.random() < 0.1 else Property.Status.ACTIVE,
            is_available=rng.random() >= 0.15,
        )
        for number, location in ((n, rng.choice(LOCATIONS)) for n in range(1, count + 1))
    )
    while batch := list(islice(rows, BATCH_SIZE)):
        Property.objects.bulk_create(batch, batch_size=BATCH_SIZE)


def generated_description(rng: random.Random, location: str) -> str:
    """A few hundred characters about a generated property: its street, then sentences of varied words."""
    street = f"{rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"
    amenity, other_amenity = rng.sample(AMENITIES, 2)
    sentences = [
        sentence.format(
            outdoor=rng.choice(OUTDOORS),
            material=rng.choice(MATERIALS),
            room=rng.choice(ROOMS),
            view=rng.choice(VIEWS),
            feature=rng.choice(FEATURES),
            year=rng.randint(1890, 2024),
            amenity=amenity,
            other_amenity=other_amenity,
            minutes=rng.randint(2, 30),
            landmark=rng.choice(LANDMARKS),
        )
        for sentence in rng.sample(SENTENCES, rng.randint(3, 5))
    ]
    return " ".join([f"On {street}, {location}."] + sentences)
