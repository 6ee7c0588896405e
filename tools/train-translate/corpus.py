"""A templated Chinese→English corpus with correct English: subject + (negation) + verb + number + measure word
+ (adjective) + noun, e.g. 我有一只猫 → "i have a cat", 她不喜欢两条小鱼 → "she does not like two small fish".
Held-out (verb, noun) combinations never appear in training, so the evaluation measures generalization."""
import itertools
import random

# (chinese, english, person): person 1/2 = base verb form ("I have"), 3 = third person singular ("she has").
SUBJECTS = [
    ("我", "i", 1), ("你", "you", 2), ("他", "he", 3), ("她", "she", 3), ("我们", "we", 2), ("你们", "you", 2),
    ("他们", "they", 2), ("她们", "they", 2), ("我的朋友", "my friend", 3), ("老师", "the teacher", 3),
    ("我的妈妈", "my mother", 3), ("我的爸爸", "my father", 3), ("这个孩子", "this child", 3), ("学生们", "the students", 2),
    ("我的哥哥", "my brother", 3), ("我的姐姐", "my sister", 3), ("我们的邻居", "our neighbor", 3), ("医生", "the doctor", 3),
]

# (chinese, base form, third person singular)
VERBS = [
    ("有", "have", "has"), ("喜欢", "like", "likes"), ("看见", "see", "sees"), ("想要", "want", "wants"),
    ("买", "buy", "buys"), ("需要", "need", "needs"), ("卖", "sell", "sells"), ("画", "draw", "draws"),
    ("带", "bring", "brings"), ("找", "look for", "looks for"), ("借", "borrow", "borrows"), ("送", "give away", "gives away"),
    ("洗", "wash", "washes"), ("拿", "take", "takes"), ("养", "keep", "keeps"), ("记得", "remember", "remembers"),
]

NUMBERS = [("一", None), ("两", "two"), ("三", "three"), ("四", "four"), ("五", "five"), ("六", "six"), ("七", "seven"),
           ("八", "eight"), ("九", "nine"), ("十", "ten")]

# (measure word, [(chinese noun, singular, plural)])
NOUNS = [
    ("只", [("猫", "cat", "cats"), ("狗", "dog", "dogs"), ("鸟", "bird", "birds"), ("兔子", "rabbit", "rabbits"),
            ("老虎", "tiger", "tigers"), ("熊", "bear", "bears"), ("猴子", "monkey", "monkeys"), ("鸭子", "duck", "ducks"),
            ("羊", "sheep", "sheep"), ("老鼠", "mouse", "mice"), ("鸡", "chicken", "chickens"), ("大象", "elephant", "elephants")]),
    ("本", [("书", "book", "books"), ("杂志", "magazine", "magazines"), ("字典", "dictionary", "dictionaries"),
            ("笔记本", "notebook", "notebooks"), ("小说", "novel", "novels")]),
    ("个", [("苹果", "apple", "apples"), ("朋友", "friend", "friends"), ("橙子", "orange", "oranges"), ("鸡蛋", "egg", "eggs"),
            ("梨", "pear", "pears"), ("盒子", "box", "boxes"), ("杯子", "cup", "cups"), ("包", "bag", "bags"),
            ("孩子", "child", "children"), ("玩具", "toy", "toys"), ("西瓜", "watermelon", "watermelons"), ("蛋糕", "cake", "cakes")]),
    ("辆", [("车", "car", "cars"), ("自行车", "bicycle", "bicycles"), ("公共汽车", "bus", "buses"), ("卡车", "truck", "trucks")]),
    ("张", [("桌子", "table", "tables"), ("照片", "photo", "photos"), ("地图", "map", "maps"), ("床", "bed", "beds"),
            ("票", "ticket", "tickets"), ("画", "picture", "pictures")]),
    ("把", [("椅子", "chair", "chairs"), ("伞", "umbrella", "umbrellas"), ("刀", "knife", "knives"), ("钥匙", "key", "keys"),
            ("尺子", "ruler", "rulers")]),
    ("支", [("笔", "pen", "pens"), ("铅笔", "pencil", "pencils"), ("牙刷", "toothbrush", "toothbrushes")]),
    ("件", [("衬衫", "shirt", "shirts"), ("外套", "coat", "coats"), ("毛衣", "sweater", "sweaters"), ("礼物", "gift", "gifts")]),
    ("条", [("鱼", "fish", "fish"), ("裙子", "skirt", "skirts"), ("裤子", "pair of trousers", "pairs of trousers"),
            ("围巾", "scarf", "scarves"), ("毛巾", "towel", "towels")]),
    ("台", [("电脑", "computer", "computers"), ("电视", "television", "televisions"), ("相机", "camera", "cameras")]),
    ("头", [("牛", "cow", "cows"), ("猪", "pig", "pigs")]),
    ("匹", [("马", "horse", "horses")]),
    ("棵", [("树", "tree", "trees")]),
    ("朵", [("花", "flower", "flowers")]),
    ("块", [("手表", "watch", "watches"), ("石头", "stone", "stones"), ("面包", "piece of bread", "pieces of bread")]),
]

ADJECTIVES = [(None, None), ("大", "big"), ("小", "small"), ("新", "new"), ("旧", "old"), ("红色的", "red"),
              ("蓝色的", "blue"), ("黑色的", "black"), ("白色的", "white"), ("漂亮的", "beautiful"), ("可爱的", "cute"),
              ("便宜的", "cheap"), ("贵的", "expensive")]


def english(subject, negate, verb, number, adjective, noun):
    zh_s, en_s, person = subject
    _, base, third = verb
    _, count = number
    _, singular, plural = noun
    if negate:
        verb_phrase = ("does not " if person == 3 else "do not ") + base
    else:
        verb_phrase = third if person == 3 else base
    head = singular if count is None else plural
    if adjective[1] is not None:
        # "a piece of old bread", "two pairs of new trousers": the adjective describes the thing, not the piece.
        head = head.replace(" of ", " of " + adjective[1] + " ") if " of " in head else adjective[1] + " " + head
    if count is None:
        count = "an" if head[0] in "aeiou" else "a"
    return f"{en_s} {verb_phrase} {count} {head}"


def chinese(subject, negate, verb, number, measure, adjective, noun):
    # 两 is the counting form of 二; adjectives sit between the measure word and the noun.
    return subject[0] + ("不" if negate else "") + verb[0] + number[0] + measure + (adjective[0] or "") + noun[0]


def all_nouns():
    return [(measure, noun) for measure, nouns in NOUNS for noun in nouns]


def build(seed=7, train_size=30000, heldout_fraction=0.1):
    rng = random.Random(seed)
    nouns = all_nouns()
    pairs = [(v, n) for v in VERBS for n in nouns]
    rng.shuffle(pairs)
    heldout = set()
    for v, (m, n) in pairs[: int(len(pairs) * heldout_fraction)]:
        if not (v[0] == "有" and n[0] == "猫"):  # the seed's own example stays in training
            heldout.add((v[0], n[0]))

    def sample(want_heldout):
        while True:
            subject, verb, number, (measure, noun), adjective = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(NUMBERS),
                                                                rng.choice(nouns), rng.choice(ADJECTIVES))
            if ((verb[0], noun[0]) in heldout) == want_heldout:
                negate = rng.random() < 0.25
                return (chinese(subject, negate, verb, number, measure, adjective, noun),
                        english(subject, negate, verb, number, adjective, noun))

    train = {sample(False) for _ in range(train_size)}
    train.add((chinese(SUBJECTS[0], False, VERBS[0], NUMBERS[0], "只", (None, None), ("猫", "cat", "cats")), "i have a cat"))
    test = set()
    while len(test) < 1000:
        test.add(sample(True))
    return sorted(train), sorted(test), heldout
