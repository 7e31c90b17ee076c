"""The demo catalog: eight categories of plausible products, the same on every run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CategorySeed:
    slug: str
    name: str
    variants: tuple[str, ...]
    # (name, price in USD, what it is for)
    products: tuple[tuple[str, str, str], ...]


CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed(
        "footwear",
        "Footwear",
        ("Black", "Blue", "Grey"),
        (
            ("Running Shoes", "89.90", "light cushioning for daily road runs"),
            ("Trail Running Shoes", "119.00", "grippy lugs for muddy forest trails"),
            ("Leather Sneakers", "99.50", "clean leather uppers for city days"),
            ("Canvas Sneakers", "49.90", "breathable canvas for warm weather"),
            ("Hiking Boots", "159.00", "waterproof support on rocky paths"),
            ("Chelsea Boots", "139.00", "elastic sides and a sturdy sole"),
            ("Slip-on Loafers", "79.00", "soft suede for easy mornings"),
            ("Sandals", "39.90", "cork footbed for summer walks"),
            ("Wool Slippers", "34.50", "felted wool to keep feet warm at home"),
            ("Rain Boots", "59.00", "rubber boots for puddles and gardens"),
        ),
    ),
    CategorySeed(
        "apparel",
        "Apparel",
        ("Navy", "Olive", "Charcoal"),
        (
            ("Merino T-Shirt", "45.00", "fine merino that stays fresh on trips"),
            ("Hooded Sweatshirt", "59.00", "brushed cotton fleece with a deep hood"),
            ("Denim Jacket", "89.00", "rigid denim that softens with wear"),
            ("Rain Jacket", "129.00", "taped seams and a packable hood"),
            ("Down Vest", "99.00", "light warmth for cold mornings"),
            ("Chino Trousers", "69.00", "stretch cotton twill for every day"),
            ("Linen Shirt", "55.00", "airy linen for hot afternoons"),
            ("Cable Knit Sweater", "85.00", "chunky knit in soft lambswool"),
            ("Running Tights", "49.00", "compression fabric with a key pocket"),
            ("Wool Beanie", "24.90", "ribbed knit that covers the ears"),
        ),
    ),
    CategorySeed(
        "kitchen",
        "Kitchen",
        ("Small", "Medium", "Large"),
        (
            ("Cast Iron Skillet", "44.90", "pre-seasoned iron for searing and baking"),
            ("Chef's Knife", "79.00", "forged steel blade holding a keen edge"),
            ("French Press", "32.00", "borosilicate glass and a fine mesh filter"),
            ("Ceramic Mug Set", "28.00", "four stoneware mugs glazed by hand"),
            ("Bamboo Cutting Board", "22.50", "knife-friendly bamboo with a juice groove"),
            ("Dutch Oven", "119.00", "enamelled iron for slow braises"),
            ("Pour-over Kettle", "39.00", "gooseneck spout for a steady pour"),
            ("Mixing Bowls", "26.00", "nesting stainless bowls with lids"),
            ("Spice Grinder", "29.90", "burr grinder for whole spices"),
            ("Linen Apron", "25.00", "washed linen with two deep pockets"),
        ),
    ),
    CategorySeed(
        "electronics",
        "Electronics",
        ("White", "Black", "Silver"),
        (
            ("Wireless Headphones", "149.00", "noise cancelling with a thirty hour battery"),
            ("Bluetooth Speaker", "69.00", "splash-proof sound for the park"),
            ("USB-C Charger", "29.00", "fast charging for phone and laptop"),
            ("Mechanical Keyboard", "109.00", "tactile switches and a steel frame"),
            ("Wireless Mouse", "39.00", "quiet clicks and a rechargeable battery"),
            ("E-Reader", "129.00", "glare-free screen for reading outdoors"),
            ("Smart Watch", "229.00", "heart rate, GPS and a week of battery"),
            ("Portable Power Bank", "45.00", "twenty thousand mAh for long trips"),
            ("Webcam", "79.00", "full HD video with a privacy shutter"),
            ("Desk Lamp", "54.00", "dimmable LED with a warm light mode"),
        ),
    ),
    CategorySeed(
        "outdoor",
        "Outdoor",
        ("Green", "Orange", "Sand"),
        (
            ("Two-Person Tent", "189.00", "freestanding tent that pitches in minutes"),
            ("Sleeping Bag", "129.00", "three-season warmth that packs small"),
            ("Trekking Poles", "69.00", "carbon poles with cork grips"),
            ("Daypack", "79.00", "twenty-litre pack with a rain cover"),
            ("Camping Stove", "59.00", "compact burner that boils water fast"),
            ("Headlamp", "34.90", "bright beam with a red night mode"),
            ("Water Filter", "39.00", "clean water from any stream"),
            ("Camp Chair", "49.00", "folding chair with a cup holder"),
            ("Insulated Bottle", "29.00", "keeps drinks cold for a day"),
            ("Hammock", "44.00", "parachute nylon with tree straps"),
        ),
    ),
    CategorySeed(
        "home",
        "Home",
        ("Ivory", "Slate", "Terracotta"),
        (
            ("Linen Duvet Cover", "129.00", "stonewashed linen that breathes"),
            ("Wool Throw Blanket", "89.00", "woven wool for chilly evenings"),
            ("Scented Candle", "24.00", "soy wax with cedar and fig"),
            ("Ceramic Vase", "39.00", "matte glaze for dried flowers"),
            ("Cotton Bath Towel", "29.00", "thick terry that dries quickly"),
            ("Floor Cushion", "59.00", "firm cushion for reading corners"),
            ("Wall Clock", "49.00", "silent movement in an oak frame"),
            ("Storage Basket", "34.00", "woven seagrass for blankets and toys"),
            ("Table Lamp", "79.00", "ceramic base with a linen shade"),
            ("Door Mat", "27.00", "coir fibres that catch the mud"),
        ),
    ),
    CategorySeed(
        "beauty",
        "Beauty",
        ("Travel", "Regular", "Refill"),
        (
            ("Face Moisturiser", "32.00", "light cream for daily hydration"),
            ("Mineral Sunscreen", "24.00", "SPF 50 that leaves no white cast"),
            ("Shampoo Bar", "12.00", "plastic-free bar for every hair type"),
            ("Lip Balm", "7.50", "beeswax balm with a hint of mint"),
            ("Body Wash", "14.00", "gentle wash with oat extract"),
            ("Hand Cream", "16.00", "rich cream for dry winter hands"),
            ("Bamboo Toothbrush", "5.90", "soft bristles and a compostable handle"),
            ("Facial Cleanser", "21.00", "foaming gel that removes sunscreen"),
            ("Beard Oil", "19.00", "jojoba and cedarwood for soft beards"),
            ("Bath Salts", "18.00", "magnesium salts with lavender"),
        ),
    ),
    CategorySeed(
        "books",
        "Books",
        ("Paperback", "Hardcover", "Gift Edition"),
        (
            ("Field Guide to Birds", "29.00", "illustrated guide to common birds"),
            ("Sourdough Baking", "34.00", "step-by-step breads from a starter"),
            ("Trail Running Handbook", "24.00", "training plans from 10k to ultra"),
            ("Houseplant Care", "22.00", "keeping leafy friends alive indoors"),
            ("Night Sky Atlas", "39.00", "star charts for every season"),
            ("Woodworking Basics", "31.00", "joints, tools and first projects"),
            ("Coffee at Home", "27.00", "brewing methods explained simply"),
            ("Mountain Stories", "19.00", "essays from a life in the hills"),
            ("Cycling Repair Manual", "26.00", "fixing bikes on the road and at home"),
            ("Minimalist Recipes", "25.00", "weeknight meals from ten ingredients"),
        ),
    ),
)


@dataclass(frozen=True)
class ProductSeed:
    key: str  # stable across runs: the seed's identity for the product
    category_slug: str
    name: str
    description: str
    price: Decimal
    stock: int


def demo_products() -> list[ProductSeed]:
    """Every category's products in each of its variants: 240 products."""
    seeds = []
    for category in CATEGORIES:
        for index, (name, price, purpose) in enumerate(category.products):
            for step, variant in enumerate(category.variants):
                title = name if step == 0 else f"{name} ({variant})"
                # Variants cost a little more; stock varies, and some are sold out.
                amount = Decimal(price) + Decimal(step * 5)
                stock = (index * 7 + step * 11) % 40
                seeds.append(
                    ProductSeed(
                        key=f"{category.slug}/{index}/{step}",
                        category_slug=category.slug,
                        name=title,
                        description=f"{name} in {variant.lower()}: {purpose}.",
                        price=amount,
                        stock=stock,
                    )
                )
    return seeds
