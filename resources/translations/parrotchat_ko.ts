<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko">
<context>
    <name>BranchSwitcher</name>
    <message>
        <source>Previous version</source>
        <translation>이전 버전</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>다음 버전</translation>
    </message>
    <message>
        <source>Version %1 of %2</source>
        <translation>%2개 중 %1번째 버전</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>The chat could not be opened</source>
        <translation>대화를 열 수 없습니다</translation>
    </message>
    <message>
        <source>The chats could not be searched</source>
        <translation>대화를 검색할 수 없습니다</translation>
    </message>
    <message>
        <source>The other version could not be shown</source>
        <translation>다른 버전을 표시할 수 없습니다</translation>
    </message>
    <message>
        <source>The chat could not be pinned</source>
        <translation>대화를 고정할 수 없습니다</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>새 대화</translation>
    </message>
    <message>
        <source>The chat could not be renamed</source>
        <translation>대화 이름을 바꿀 수 없습니다</translation>
    </message>
    <message>
        <source>The chat could not be deleted</source>
        <translation>대화를 삭제할 수 없습니다</translation>
    </message>
    <message>
        <source>The chat settings could not be saved</source>
        <translation>대화 설정을 저장할 수 없습니다</translation>
    </message>
    <message>
        <source>These settings are now the defaults for new chats.</source>
        <translation>이 설정이 이제 새 대화의 기본값입니다.</translation>
    </message>
    <message>
        <source>Your message could not be saved</source>
        <translation>메시지를 저장할 수 없습니다</translation>
    </message>
    <message>
        <source>%1. Your text is back in the box below.</source>
        <translation>%1. 입력하신 글은 아래 입력창에 다시 넣어 두었습니다.</translation>
    </message>
    <message>
        <source>The reply could not be regenerated</source>
        <translation>답변을 다시 만들 수 없습니다</translation>
    </message>
    <message>
        <source>The message could not be changed</source>
        <translation>메시지를 바꿀 수 없습니다</translation>
    </message>
    <message>
        <source>No model is loaded</source>
        <translation>불러온 모델이 없습니다</translation>
    </message>
    <message>
        <source>Choose a model at the top of the window, then send again.</source>
        <translation>창 위쪽에서 모델을 고른 다음 다시 보내세요.</translation>
    </message>
    <message>
        <source>The reply could not be saved</source>
        <translation>답변을 저장할 수 없습니다</translation>
    </message>
    <message>
        <source>Loading the embedding model…</source>
        <translation>임베딩 모델 불러오는 중…</translation>
    </message>
    <message>
        <source>The embedding model could not be loaded (%1): documents are searched by their words alone.</source>
        <translation>임베딩 모델을 불러오지 못했습니다(%1). 문서는 단어로만 검색합니다.</translation>
    </message>
    <message>
        <source>No document collection named %1: answering from the others.</source>
        <translation>%1 문서 모음이 없습니다. 나머지 모음으로 답합니다.</translation>
    </message>
    <message>
        <source>The engine stopped while writing the reply</source>
        <translation>답변을 쓰는 중에 엔진이 멈췄습니다</translation>
    </message>
    <message>
        <source>The reply failed</source>
        <translation>답변을 만들지 못했습니다</translation>
    </message>
    <message>
        <source>Saving works again; what was on screen is saved.</source>
        <translation>다시 저장할 수 있습니다. 화면에 있던 내용을 저장했습니다.</translation>
    </message>
    <message>
        <source>The model could not be loaded</source>
        <translation>모델을 불러올 수 없습니다</translation>
    </message>
</context>
<context>
    <name>ChatListPanel</name>
    <message>
        <source>New chat</source>
        <translation>새 대화</translation>
    </message>
    <message>
        <source>Search all messages</source>
        <translation>모든 메시지 검색</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>되돌리기</translation>
    </message>
    <message>
        <source>%1 (pinned)</source>
        <translation>%1 (고정됨)</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>이름 바꾸기…</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>고정 해제</translation>
    </message>
    <message>
        <source>Pin to top</source>
        <translation>맨 위에 고정</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>삭제</translation>
    </message>
    <message>
        <source>Rename chat</source>
        <translation>대화 이름 바꾸기</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>제목:</translation>
    </message>
    <message>
        <source>Deleted “%1”</source>
        <translation>“%1” 삭제됨</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Start a conversation</source>
        <translation>대화를 시작하세요</translation>
    </message>
    <message>
        <source>Type a message below and press Enter. Shift+Enter starts a new line.
Translate and Summarize are one click away under the message box.</source>
        <translation>아래에 메시지를 쓰고 Enter를 누르세요. Shift+Enter는 줄을 바꿉니다.
번역과 요약은 입력창 바로 위 버튼으로 한 번에 할 수 있습니다.</translation>
    </message>
    <message>
        <source>Scroll up for %1 earlier messages</source>
        <translation>위로 스크롤하면 이전 메시지 %1개를 볼 수 있습니다</translation>
    </message>
    <message>
        <source>Scroll down for %1 newer messages</source>
        <translation>아래로 스크롤하면 최근 메시지 %1개를 볼 수 있습니다</translation>
    </message>
</context>
<context>
    <name>Citations</name>
    <message>
        <source>Sources</source>
        <translation>출처</translation>
    </message>
    <message>
        <source>No passage of the chosen documents matched the question.</source>
        <translation>고른 문서에서 질문과 맞는 내용을 찾지 못했습니다.</translation>
    </message>
    <message>
        <source>p. %1</source>
        <translation>%1쪽</translation>
    </message>
    <message>
        <source>%1 more matching passages were left out to fit the context.</source>
        <translation>맞는 내용 %1개는 컨텍스트에 맞추느라 넣지 못했습니다.</translation>
    </message>
</context>
<context>
    <name>CodeBlock</name>
    <message>
        <source>code</source>
        <translation>코드</translation>
    </message>
    <message>
        <source>Copy code</source>
        <translation>코드 복사</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message the model (Enter sends, Shift+Enter: new line)</source>
        <translation>모델에게 메시지 보내기 (Enter: 보내기, Shift+Enter: 줄 바꿈)</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>보내기</translation>
    </message>
    <message>
        <source>Editing a sent message: the replies after it will be replaced.</source>
        <translation>보낸 메시지를 고치는 중입니다. 그 뒤의 답변은 새로 만들어집니다.</translation>
    </message>
    <message>
        <source>Cancel edit</source>
        <translation>고치기 취소</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>멈추기</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>답변 멈추기 (Esc)</translation>
    </message>
</context>
<context>
    <name>ControlHints</name>
    <message>
        <source>Instructions the model reads before every message of this chat: who it should be, what language to answer in, what to avoid.</source>
        <translation>이 대화의 모든 메시지 앞에 모델이 읽는 지시문입니다. 어떤 역할을 할지, 어떤 언어로 답할지, 무엇을 피할지 적으세요.</translation>
    </message>
    <message>
        <source>How adventurous the wording is. Low (0.2) gives focused answers that come out much the same each time; high (1.0 and up) gives varied, creative ones that may wander off.</source>
        <translation>표현을 얼마나 과감하게 고를지 정합니다. 낮으면(0.2) 매번 거의 같은 집중된 답변이 나오고, 높으면(1.0 이상) 다양하고 창의적이지만 엉뚱한 데로 흐를 수 있는 답변이 나옵니다.</translation>
    </message>
    <message>
        <source>The longest a reply may get, in tokens (a token is a short word or a piece of one). The reply stops when it reaches this.</source>
        <translation>답변의 최대 길이를 토큰 수로 정합니다(토큰은 짧은 단어나 단어의 일부입니다). 이 길이에 이르면 답변이 멈춥니다.</translation>
    </message>
    <message>
        <source>Chooses each next word only among the likeliest ones that together make up this share of the chances. 1.0 is off; 0.9 leaves out the unlikely tail.</source>
        <translation>다음 단어를 가능성이 높은 단어들 가운데서만 고릅니다. 그 단어들의 확률을 합하면 이 비율이 됩니다. 1.0은 끔이고, 0.9는 가능성이 낮은 단어들을 뺍니다.</translation>
    </message>
    <message>
        <source>Chooses each next word only among this many of the likeliest. 40 is usual; off lets every word compete.</source>
        <translation>다음 단어를 가능성이 가장 높은 이 개수의 단어 가운데서만 고릅니다. 보통 40을 씁니다. 끔이면 모든 단어가 후보가 됩니다.</translation>
    </message>
    <message>
        <source>Leaves out words far less likely than the likeliest one: 0.05 drops those with under 5 % of its chance. 0 is off.</source>
        <translation>가장 가능성 높은 단어보다 훨씬 가능성이 낮은 단어를 뺍니다. 0.05면 그 확률의 5 %에 못 미치는 단어를 뺍니다. 0은 끔입니다.</translation>
    </message>
    <message>
        <source>Makes the model less likely to repeat words it has just used. 1.0 is off, 1.1 is gentle; much higher and the wording turns odd.</source>
        <translation>모델이 방금 쓴 단어를 되풀이하지 않게 합니다. 1.0은 끔, 1.1은 약하게이며, 너무 높이면 표현이 어색해집니다.</translation>
    </message>
    <message>
        <source>Faster replies that copy from the message (translations, summaries, answers from documents): the model checks several guessed words at once and keeps the ones it would have written. It turns itself off while guesses miss. The reply is the same as without it: it only works where llama.cpp computes several words exactly as it computes one (checked at the model&apos;s first reply with it on; the stats line shows no drafts otherwise).</source>
        <translation>메시지를 옮겨 쓰는 답(번역, 요약, 문서에서 찾은 답)이 빨라집니다. 모델이 미리 짐작한 여러 단어를 한 번에 확인하고, 모델이 스스로 썼을 단어만 남깁니다. 짐작이 빗나가는 동안에는 저절로 꺼집니다. 답은 끈 때와 똑같습니다. llama.cpp가 여러 단어를 한꺼번에 계산한 결과가 한 단어씩 계산한 결과와 정확히 같을 때만 작동하기 때문입니다(이 기능을 켠 첫 답변에서 모델마다 확인하며, 아니면 통계 줄에 미리 짐작한 단어가 나오지 않습니다).</translation>
    </message>
    <message>
        <source>The starting point of the model&apos;s random choices. The same seed, settings and message give the same reply again; random gives a new one each time.</source>
        <translation>모델이 무작위로 고를 때의 출발점입니다. 시드, 설정, 메시지가 같으면 같은 답변이 다시 나오고, 무작위면 매번 새 답변이 나옵니다.</translation>
    </message>
    <message>
        <source>What happens when this chat grows longer than the context length: leave out the oldest messages (the model forgets how the chat began), or stop and tell you.</source>
        <translation>대화가 컨텍스트 길이보다 길어지면 어떻게 할지 정합니다. 가장 오래된 메시지를 빼거나(모델이 대화의 시작을 잊습니다), 멈추고 알려 줍니다.</translation>
    </message>
    <message>
        <source>Make these settings the starting point of every new chat.</source>
        <translation>이 설정을 모든 새 대화의 기본값으로 삼습니다.</translation>
    </message>
    <message>
        <source>How much text the model keeps in mind at once, in tokens: the chat so far and the reply must fit. Longer needs more memory. Changing it reloads the model, after you confirm.</source>
        <translation>모델이 한 번에 기억하는 글의 양을 토큰 수로 정합니다. 지금까지의 대화와 답변이 모두 들어가야 합니다. 길수록 메모리가 더 필요합니다. 바꾸면 확인을 받은 뒤 모델을 다시 불러옵니다.</translation>
    </message>
    <message>
        <source>How much of the model runs on the graphics card, which is faster if the model fits in its memory. Auto uses the card when there is one; a number puts that many layers on it and the rest on the processor.</source>
        <translation>모델의 얼마만큼을 그래픽 카드에서 돌릴지 정합니다. 모델이 그래픽 카드 메모리에 들어가면 더 빠릅니다. 자동은 그래픽 카드가 있으면 씁니다. 숫자를 넣으면 그만큼의 레이어를 그래픽 카드에, 나머지를 프로세서에 둡니다.</translation>
    </message>
    <message>
        <source>How many processor cores work on the model. Auto lets llama.cpp choose; more than the machine has makes it slower.</source>
        <translation>모델에 쓸 프로세서 코어 수입니다. 자동이면 llama.cpp가 고릅니다. 컴퓨터의 코어 수보다 많으면 오히려 느려집니다.</translation>
    </message>
</context>
<context>
    <name>ControlsPanel</name>
    <message>
        <source>This chat</source>
        <translation>이 대화</translation>
    </message>
    <message>
        <source>e.g. You are a helpful assistant.</source>
        <translation>예: 당신은 친절한 비서입니다.</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>시스템 프롬프트</translation>
    </message>
    <message>
        <source>precise ↔ creative</source>
        <translation>정확하게 ↔ 창의적으로</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>온도</translation>
    </message>
    <message>
        <source>Max reply tokens</source>
        <translation>최대 답변 토큰</translation>
    </message>
    <message>
        <source>Top P</source>
        <translation>Top P</translation>
    </message>
    <message>
        <source>off</source>
        <translation>끔</translation>
    </message>
    <message>
        <source>Top K</source>
        <translation>Top K</translation>
    </message>
    <message>
        <source>Min P</source>
        <translation>Min P</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>반복 억제</translation>
    </message>
    <message>
        <source>random</source>
        <translation>무작위</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>시드</translation>
    </message>
    <message>
        <source>Draft ahead</source>
        <translation>미리 짐작하기</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>속도</translation>
    </message>
    <message>
        <source>Leave out the oldest messages</source>
        <translation>가장 오래된 메시지 빼기</translation>
    </message>
    <message>
        <source>Stop and say so</source>
        <translation>멈추고 알리기</translation>
    </message>
    <message>
        <source>When the chat is full</source>
        <translation>대화가 가득 차면</translation>
    </message>
    <message>
        <source>Use for new chats</source>
        <translation>새 대화에도 쓰기</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 토큰</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>컨텍스트 길이</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>자동</translation>
    </message>
    <message>
        <source>All layers</source>
        <translation>모든 레이어</translation>
    </message>
    <message>
        <source>Number of layers</source>
        <translation>레이어 수 지정</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 레이어</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>자동</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>스레드</translation>
    </message>
    <message>
        <source>Changing these reloads the model, when you confirm.</source>
        <translation>이 값을 바꾸면 확인을 받은 뒤 모델을 다시 불러옵니다.</translation>
    </message>
    <message>
        <source>The model reloads with the new settings.</source>
        <translation>새 설정으로 모델을 다시 불러옵니다.</translation>
    </message>
    <message>
        <source>%1 tokens is outside what this model allows: %2 to %3 tokens. Reload now uses %4 tokens.</source>
        <translation>토큰 %1개는 이 모델이 허용하는 범위를 벗어납니다. 허용 범위: 토큰 %2~%3개. 지금 다시 불러오기를 누르면 토큰 %4개를 씁니다.</translation>
    </message>
</context>
<context>
    <name>DocumentsDialog</name>
    <message>
        <source>Documents</source>
        <translation>문서</translation>
    </message>
    <message>
        <source>New collection…</source>
        <translation>새 모음…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>삭제</translation>
    </message>
    <message>
        <source>Collections</source>
        <translation>문서 모음</translation>
    </message>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>Passages</source>
        <translation>구절</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>이유</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>폴더 추가…</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>파일 추가…</translation>
    </message>
    <message>
        <source>Re-scan</source>
        <translation>다시 검색</translation>
    </message>
    <message>
        <source>Drop files or folders here to add them.</source>
        <translation>파일이나 폴더를 여기에 끌어다 놓으면 추가됩니다.</translation>
    </message>
    <message>
        <source>An embedding model (bge-m3, multilingual-e5, nomic-embed-text…) lets search match meaning, not only words.</source>
        <translation>임베딩 모델(bge-m3, multilingual-e5, nomic-embed-text…)이 있으면 단어뿐 아니라 의미로도 검색합니다.</translation>
    </message>
    <message>
        <source>Search by meaning with:</source>
        <translation>의미 검색에 쓸 모델:</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>None (search by words only)</source>
        <translation>없음 (단어로만 검색)</translation>
    </message>
    <message>
        <source>Passages will be embedded with %1; Re-scan embeds those already indexed.</source>
        <translation>구절을 %1(으)로 임베딩합니다. 이미 색인된 구절은 ‘다시 검색’을 누르면 임베딩됩니다.</translation>
    </message>
    <message>
        <source>Documents are searched by their words alone.</source>
        <translation>문서는 단어로만 검색합니다.</translation>
    </message>
    <message>
        <source>%1
%2 files, %3 passages</source>
        <translation>%1
파일 %2개, 구절 %3개</translation>
    </message>
    <message>
        <source>%1 failed</source>
        <translation>%1개 실패</translation>
    </message>
    <message>
        <source>Indexed</source>
        <translation>색인됨</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>대기 중</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>실패</translation>
    </message>
    <message>
        <source>Wait for the indexing under way to finish, or cancel it.</source>
        <translation>진행 중인 색인이 끝날 때까지 기다리거나 취소하세요.</translation>
    </message>
    <message>
        <source>New collection</source>
        <translation>새 모음</translation>
    </message>
    <message>
        <source>Name of the collection:</source>
        <translation>모음 이름:</translation>
    </message>
    <message>
        <source>Choose a folder to add</source>
        <translation>추가할 폴더 선택</translation>
    </message>
    <message>
        <source>Choose files to add</source>
        <translation>추가할 파일 선택</translation>
    </message>
    <message>
        <source>Documents (*.txt *.md *.html *.htm *.pdf *.docx *.hwpx *.hwp)</source>
        <translation>문서 (*.txt *.md *.html *.htm *.pdf *.docx *.hwpx *.hwp)</translation>
    </message>
    <message>
        <source>Remove collection</source>
        <translation>모음 삭제</translation>
    </message>
    <message>
        <source>Remove “%1” from ParrotChat? The files themselves stay where they are.</source>
        <translation>ParrotChat에서 “%1” 모음을 삭제할까요? 파일 자체는 그대로 남습니다.</translation>
    </message>
    <message>
        <source>Indexing “%1”…</source>
        <translation>“%1” 색인 중…</translation>
    </message>
    <message>
        <source>Indexing: %1 of %2 files</source>
        <translation>색인 중: 파일 %2개 중 %1개</translation>
    </message>
    <message>
        <source>Loading the embedding model %1…</source>
        <translation>임베딩 모델 %1 불러오는 중…</translation>
    </message>
    <message>
        <source>Embedding passages with %1: %2 of %3</source>
        <translation>%1(으)로 구절 임베딩 중: %3개 중 %2개</translation>
    </message>
    <message>
        <source>Embedding cancelled; Re-scan goes on.</source>
        <translation>임베딩을 취소했습니다. 다시 검색하면 이어서 합니다.</translation>
    </message>
    <message>
        <source>%1 passages embedded.</source>
        <translation>구절 %1개를 임베딩했습니다.</translation>
    </message>
    <message>
        <source>Passages could not be embedded (%1); they are searched by their words.</source>
        <translation>구절을 임베딩하지 못했습니다(%1). 단어로 검색합니다.</translation>
    </message>
    <message>
        <source>Cancelled. What was indexed so far is kept; Re-scan goes on.</source>
        <translation>취소했습니다. 지금까지 색인한 내용은 남고, 다시 검색하면 이어서 합니다.</translation>
    </message>
    <message>
        <source>Done: %1 indexed, %2 unchanged, %3 removed.</source>
        <translation>완료: %1개 색인, %2개 변경 없음, %3개 제거.</translation>
    </message>
    <message>
        <source>%1 files could not be read (see Reason).</source>
        <translation>파일 %1개를 읽지 못했습니다(이유 참고).</translation>
    </message>
    <message>
        <source>Indexing stopped: %1</source>
        <translation>색인이 멈췄습니다: %1</translation>
    </message>
</context>
<context>
    <name>DocumentsPicker</name>
    <message>
        <source>No collections yet</source>
        <translation>아직 문서 모음이 없습니다</translation>
    </message>
    <message>
        <source>Manage documents…</source>
        <translation>문서 관리…</translation>
    </message>
    <message>
        <source>Documents: %1</source>
        <translation>문서: %1</translation>
    </message>
    <message>
        <source>Documents: none</source>
        <translation>문서: 없음</translation>
    </message>
    <message>
        <source>Answer from these document collections, citing them as [1], [2]</source>
        <translation>이 문서 모음을 근거로 [1], [2]처럼 출처를 밝혀 답합니다</translation>
    </message>
</context>
<context>
    <name>DownloadTab</name>
    <message>
        <source>Search GGUF models, e.g. qwen</source>
        <translation>GGUF 모델 검색 (예: qwen)</translation>
    </message>
    <message>
        <source>Most downloaded</source>
        <translation>다운로드 많은 순</translation>
    </message>
    <message>
        <source>Most liked</source>
        <translation>좋아요 많은 순</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>최근 업데이트 순</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>검색</translation>
    </message>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>양자화</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>메모리 적합성</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>다운로드</translation>
    </message>
    <message>
        <source>Search the model hub by name (for example qwen, exaone or gemma), choose a repository on the left, then a file on the right: the one marked (recommended) fits this computer. Not sure what to pick? The Recommended tab lists models chosen for this computer.</source>
        <translation>모델 허브에서 이름으로 검색한 뒤(예: qwen, exaone, gemma) 왼쪽에서 저장소를, 오른쪽에서 파일을 고르세요. (추천) 표시가 붙은 파일이 이 컴퓨터에 맞습니다. 무엇을 고를지 모르겠다면 추천 탭에서 이 컴퓨터에 맞게 고른 모델을 보세요.</translation>
    </message>
    <message>
        <source>Nothing is downloading. Downloads appear here; they can be paused, and they resume where they stopped, even after ParrotChat is closed.</source>
        <translation>다운로드 중인 것이 없습니다. 다운로드는 여기에 표시되며, 일시 중지할 수 있고 ParrotChat을 닫았다가 다시 열어도 멈춘 곳부터 이어받습니다.</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>진행률</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>일시 중지</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>이어받기</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Hub features are unavailable. %1</source>
        <translation>허브 기능을 사용할 수 없습니다. %1</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>검색 중…</translation>
    </message>
    <message>
        <source>Repositories found: %1</source>
        <translation>찾은 저장소: %1개</translation>
    </message>
    <message>
        <source>No GGUF repositories match.</source>
        <translation>일치하는 GGUF 저장소가 없습니다.</translation>
    </message>
    <message>
        <source>Listing files…</source>
        <translation>파일 목록을 가져오는 중…</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>적합</translation>
    </message>
    <message>
        <source>partly on GPU</source>
        <translation>일부만 GPU</translation>
    </message>
    <message>
        <source>too large</source>
        <translation>너무 큼</translation>
    </message>
    <message>
        <source> (recommended)</source>
        <translation> (추천)</translation>
    </message>
    <message>
        <source>This repository has no usable GGUF files.</source>
        <translation>이 저장소에는 사용할 수 있는 GGUF 파일이 없습니다.</translation>
    </message>
    <message>
        <source>Paused (from an earlier run)</source>
        <translation>일시 중지됨 (이전 실행에서)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%2 중 %1</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>%1 남음</translation>
    </message>
    <message>
        <source>Done: in the library</source>
        <translation>완료: 라이브러리에 추가됨</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>실패: %1</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>대기 중</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>시작 중</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>일시 중지됨</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>취소됨</translation>
    </message>
</context>
<context>
    <name>DraftPicker</name>
    <message>
        <source>Choose draft model…</source>
        <translation>초안 모델 고르기…</translation>
    </message>
    <message>
        <source>A small model with the same vocabulary guesses the next words; the chat model keeps only the guesses it would have written itself. Used while Draft ahead is on.</source>
        <translation>어휘가 같은 작은 모델이 다음 단어를 짐작하고, 대화 모델은 자기가 직접 썼을 짐작만 받아들입니다. 미리 짐작하기가 켜져 있을 때 쓰입니다.</translation>
    </message>
    <message>
        <source>No draft model</source>
        <translation>초안 모델 없음</translation>
    </message>
    <message>
        <source>Draft model: none</source>
        <translation>초안 모델: 없음</translation>
    </message>
    <message>
        <source>Draft model: %1</source>
        <translation>초안 모델: %1</translation>
    </message>
    <message>
        <source>Not used as draft model: %1</source>
        <translation>초안 모델로 쓰지 않습니다: %1</translation>
    </message>
    <message>
        <source>Choose a draft model</source>
        <translation>초안 모델 고르기</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 모델 (*.gguf);;모든 파일 (*)</translation>
    </message>
</context>
<context>
    <name>ErrorBanner</name>
    <message>
        <source>Retry</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>닫기</translation>
    </message>
</context>
<context>
    <name>FoldBar</name>
    <message>
        <source>Show more</source>
        <translation>더 보기</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>모두 보기</translation>
    </message>
    <message>
        <source>Long message: showing %1 of %2 characters.</source>
        <translation>긴 메시지: %2자 중 %1자를 표시합니다.</translation>
    </message>
</context>
<context>
    <name>HubMessages</name>
    <message>
        <source>ParrotChat is in offline mode, so the model hub is not contacted.</source>
        <translation>ParrotChat이 오프라인 모드라서 모델 허브에 연결하지 않습니다.</translation>
    </message>
    <message>
        <source>Cannot reach the model hub at %1.</source>
        <translation>%1의 모델 허브에 연결할 수 없습니다.</translation>
    </message>
    <message>
        <source>Cannot reach the model hub.</source>
        <translation>모델 허브에 연결할 수 없습니다.</translation>
    </message>
    <message>
        <source>Check the network connection, or set your organisation&apos;s mirror under Network in the Download tab.</source>
        <translation>네트워크 연결을 확인하거나, 다운로드 탭의 네트워크에서 회사 미러 주소를 설정하세요.</translation>
    </message>
    <message>
        <source>The model hub request failed: %1</source>
        <translation>모델 허브 요청이 실패했습니다: %1</translation>
    </message>
</context>
<context>
    <name>LibraryTab</name>
    <message>
        <source>Name</source>
        <translation>이름</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>아키텍처</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>매개변수</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>양자화</translation>
    </message>
    <message>
        <source>Trained context</source>
        <translation>학습된 컨텍스트</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>메모리 적합성</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>채팅 템플릿</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>출처</translation>
    </message>
    <message>
        <source>Chat with this model</source>
        <translation>이 모델로 채팅</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>가져오기…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>삭제</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>폴더에서 보기</translation>
    </message>
    <message>
        <source>Set as default</source>
        <translation>기본 모델로 설정</translation>
    </message>
    <message>
        <source>Run benchmark</source>
        <translation>벤치마크 실행</translation>
    </message>
    <message>
        <source>Drop .gguf files here to import them.</source>
        <translation>.gguf 파일을 여기에 끌어다 놓으면 가져옵니다.</translation>
    </message>
    <message>
        <source>starter</source>
        <translation>기본 제공</translation>
    </message>
    <message>
        <source>library</source>
        <translation>라이브러리</translation>
    </message>
    <message>
        <source>referenced</source>
        <translation>참조</translation>
    </message>
    <message>
        <source>%1 (default)</source>
        <translation>%1 (기본)</translation>
    </message>
    <message>
        <source>none (ChatML used)</source>
        <translation>없음 (ChatML 사용)</translation>
    </message>
    <message>
        <source>cannot be used: %1</source>
        <translation>사용할 수 없음: %1</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>적합</translation>
    </message>
    <message>
        <source>partly on GPU</source>
        <translation>일부만 GPU</translation>
    </message>
    <message>
        <source>too large</source>
        <translation>너무 큼</translation>
    </message>
    <message>
        <source>Forget %1? The file stays where it is: %2</source>
        <translation>%1을(를) 목록에서 뺄까요? 파일은 그대로 남습니다: %2</translation>
    </message>
    <message>
        <source>Delete %1 from the library? This frees %2.</source>
        <translation>라이브러리에서 %1을(를) 삭제할까요? %2의 공간이 확보됩니다.</translation>
    </message>
    <message>
        <source>Remove model</source>
        <translation>모델 삭제</translation>
    </message>
    <message>
        <source>Import a model</source>
        <translation>모델 가져오기</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 모델 (*.gguf);;모든 파일 (*)</translation>
    </message>
    <message>
        <source>Importing %1…</source>
        <translation>%1 가져오는 중…</translation>
    </message>
    <message>
        <source>Measuring %1 in a separate engine…</source>
        <translation>별도 엔진에서 %1 측정 중…</translation>
    </message>
    <message>
        <source>%1: loaded in %2 s · prompt %3 tokens/s · reply %4 tokens/s · first token %5 s · peak memory %6 MB</source>
        <translation>%1: 불러오기 %2초 · 프롬프트 초당 %3토큰 · 응답 초당 %4토큰 · 첫 토큰 %5초 · 최대 메모리 %6 MB</translation>
    </message>
    <message>
        <source>Imported %1.</source>
        <translation>%1을(를) 가져왔습니다.</translation>
    </message>
    <message>
        <source>Removed %1; %2 freed.</source>
        <translation>%1을(를) 삭제했습니다. %2 확보됨.</translation>
    </message>
    <message>
        <source>Copy %1 into the library, or use it where it is?</source>
        <translation>%1을(를) 라이브러리로 복사할까요, 아니면 현재 위치에서 사용할까요?</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>복사</translation>
    </message>
    <message>
        <source>Use in place</source>
        <translation>현재 위치에서 사용</translation>
    </message>
</context>
<context>
    <name>LinkDialog</name>
    <message>
        <source>Open link?</source>
        <translation>링크를 열까요?</translation>
    </message>
    <message>
        <source>Open this address in your browser?</source>
        <translation>이 주소를 브라우저에서 열까요?</translation>
    </message>
    <message>
        <source>Open link</source>
        <translation>링크 열기</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>The chat list could not be read</source>
        <translation>대화 목록을 읽을 수 없습니다</translation>
    </message>
    <message>
        <source>Stopped serving the model.</source>
        <translation>모델 서비스를 멈췄습니다.</translation>
    </message>
    <message>
        <source>The model could not be served</source>
        <translation>모델을 서비스할 수 없습니다</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>불러온 모델 없음</translation>
    </message>
    <message>
        <source>Context: %1 / %2 tokens</source>
        <translation>컨텍스트: %1 / %2 토큰</translation>
    </message>
    <message>
        <source>The template could not be used</source>
        <translation>템플릿을 쓸 수 없습니다</translation>
    </message>
    <message>
        <source>Template “%1” applied: check the message, then press Enter.</source>
        <translation>“%1” 템플릿을 적용했습니다. 메시지를 확인한 다음 Enter를 누르세요.</translation>
    </message>
    <message>
        <source>Template “%1” saved.</source>
        <translation>“%1” 템플릿을 저장했습니다.</translation>
    </message>
    <message>
        <source>Context length in effect: %1 tokens (you asked for %2).</source>
        <translation>지금 쓰는 컨텍스트 길이: 토큰 %1개 (요청한 값: %2).</translation>
    </message>
    <message>
        <source>Not loaded</source>
        <translation>불러오지 않음</translation>
    </message>
    <message>
        <source>Loading cancelled</source>
        <translation>불러오기 취소됨</translation>
    </message>
    <message>
        <source>Loading cancelled. Pick a model to load it.</source>
        <translation>불러오기를 취소했습니다. 불러올 모델을 고르세요.</translation>
    </message>
    <message>
        <source>No model can be loaded</source>
        <translation>불러올 수 있는 모델이 없습니다</translation>
    </message>
    <message>
        <source>A new engine was started and is loading the model again.</source>
        <translation>새 엔진을 시작했고 모델을 다시 불러오는 중입니다.</translation>
    </message>
    <message>
        <source>A new engine was started; choose a model to load it again.</source>
        <translation>새 엔진을 시작했습니다. 모델을 다시 선택해 불러오세요.</translation>
    </message>
    <message>
        <source>The engine stopped</source>
        <translation>엔진이 멈췄습니다</translation>
    </message>
    <message>
        <source>The chat could not be exported</source>
        <translation>대화를 내보낼 수 없습니다</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>%1에 저장했습니다</translation>
    </message>
    <message>
        <source>Export chat</source>
        <translation>대화 내보내기</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>마크다운 (*.md)</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <source>The new language applies when ParrotChat starts again.</source>
        <translation>새 언어는 ParrotChat을 다시 시작하면 적용됩니다.</translation>
    </message>
    <message>
        <source>About ParrotChat</source>
        <translation>ParrotChat 정보</translation>
    </message>
    <message>
        <source>ParrotChat %1
Chat with language models on your own computer.</source>
        <translation>ParrotChat %1
내 컴퓨터에서 언어 모델과 대화합니다.</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Copy</source>
        <translation>복사</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>고치기</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>다시 만들기</translation>
    </message>
    <message>
        <source>You</source>
        <translation>나</translation>
    </message>
    <message>
        <source>System</source>
        <translation>시스템</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>어시스턴트</translation>
    </message>
    <message>
        <source>Reading your message…</source>
        <translation>메시지를 읽는 중…</translation>
    </message>
    <message>
        <source>Reading your message… %1%</source>
        <translation>메시지를 읽는 중… %1%</translation>
    </message>
</context>
<context>
    <name>ModelController</name>
    <message>
        <source>The model library could not be read: %1</source>
        <translation>모델 목록을 읽을 수 없습니다: %1</translation>
    </message>
    <message>
        <source>%1 has no chat template; using the ChatML format (replies may be poor)</source>
        <translation>%1에는 채팅 템플릿이 없어 ChatML 형식을 씁니다(답변 품질이 낮을 수 있습니다)</translation>
    </message>
    <message>
        <source>Model %1 is too large for this machine: %2</source>
        <translation>%1 모델은 이 컴퓨터에서 돌리기에 너무 큽니다: %2</translation>
    </message>
    <message>
        <source>Reloading the model with the new settings…</source>
        <translation>새 설정으로 모델을 다시 불러오는 중…</translation>
    </message>
    <message>
        <source>Needs about %1 at %2 tokens of context; %3 free.</source>
        <translation>컨텍스트 %2 토큰에 약 %1 필요, 여유 메모리 %3.</translation>
    </message>
    <message>
        <source>Needs about %1 at %2 tokens of context; part runs from RAM, more slowly (%3 free).</source>
        <translation>컨텍스트 %2 토큰에 약 %1 필요. 일부는 RAM에서 돌아 느려집니다(여유 %3).</translation>
    </message>
    <message>
        <source>Needs about %1 at %2 tokens of context but only %3 is free: try a shorter context or a smaller quantization.</source>
        <translation>컨텍스트 %2 토큰에 약 %1 필요하지만 여유 메모리는 %3뿐입니다. 컨텍스트를 줄이거나 더 작은 양자화 모델을 쓰세요.</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Model:</source>
        <translation>모델:</translation>
    </message>
    <message>
        <source>Looking for models…</source>
        <translation>모델을 찾는 중…</translation>
    </message>
    <message>
        <source>Loading %p%</source>
        <translation>불러오는 중 %p%</translation>
    </message>
    <message>
        <source>Cancel loading</source>
        <translation>불러오기 취소</translation>
    </message>
    <message>
        <source>On this computer</source>
        <translation>이 컴퓨터에서</translation>
    </message>
    <message>
        <source>On %1</source>
        <translation>%1에서</translation>
    </message>
    <message>
        <source>    Not available: %1</source>
        <translation>    사용할 수 없음: %1</translation>
    </message>
    <message>
        <source>    Serves no models</source>
        <translation>    제공하는 모델 없음</translation>
    </message>
    <message>
        <source>No models found</source>
        <translation>모델 없음</translation>
    </message>
    <message>
        <source> (starter)</source>
        <translation> (기본 모델)</translation>
    </message>
    <message>
        <source> (linked)</source>
        <translation> (연결됨)</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>%1 불러오는 중…</translation>
    </message>
    <message>
        <source>Context %1 tokens (trained %2), loaded in %3 s</source>
        <translation>컨텍스트 %1 토큰(학습 길이 %2), %3초 만에 불러옴</translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <source>Models</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>Recommended</source>
        <translation>추천</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>라이브러리</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>다운로드</translation>
    </message>
    <message>
        <source>Servers</source>
        <translation>서버</translation>
    </message>
    <message>
        <source>Downloaded %1.</source>
        <translation>%1을(를) 다운로드했습니다.</translation>
    </message>
</context>
<context>
    <name>NetworkSettings</name>
    <message>
        <source>Network</source>
        <translation>네트워크</translation>
    </message>
    <message>
        <source>None (public models only)</source>
        <translation>없음(공개 모델만)</translation>
    </message>
    <message>
        <source>System proxy</source>
        <translation>시스템 프록시</translation>
    </message>
    <message>
        <source>Offline: never use the network</source>
        <translation>오프라인: 네트워크를 전혀 사용하지 않음</translation>
    </message>
    <message>
        <source>Save network settings</source>
        <translation>네트워크 설정 저장</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>허브 주소</translation>
    </message>
    <message>
        <source>Access token</source>
        <translation>액세스 토큰</translation>
    </message>
    <message>
        <source>Proxy</source>
        <translation>프록시</translation>
    </message>
</context>
<context>
    <name>NoModelBanner</name>
    <message>
        <source>No model yet</source>
        <translation>아직 모델이 없습니다</translation>
    </message>
    <message>
        <source>ParrotChat needs a language model (a .gguf file) to chat. Import one you have, for example from a USB stick, or download a recommended one.</source>
        <translation>대화하려면 언어 모델(.gguf 파일)이 필요합니다. USB 메모리 등에 있는 모델을 가져오거나 추천 모델을 다운로드하세요.</translation>
    </message>
    <message>
        <source>Import .gguf…</source>
        <translation>.gguf 가져오기…</translation>
    </message>
    <message>
        <source>Import a .gguf file, for example from a USB stick</source>
        <translation>USB 메모리 등에 있는 .gguf 파일을 가져옵니다</translation>
    </message>
    <message>
        <source>Download…</source>
        <translation>다운로드…</translation>
    </message>
    <message>
        <source>Choose one of the recommended models</source>
        <translation>추천 모델 중에서 고릅니다</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>폴더 열기</translation>
    </message>
    <message>
        <source>Open the models folder</source>
        <translation>모델 폴더를 엽니다</translation>
    </message>
    <message>
        <source>Models folder (.gguf files put there are found too): %1</source>
        <translation>모델 폴더 (여기에 넣은 .gguf 파일도 인식됩니다): %1</translation>
    </message>
    <message>
        <source>Import a model</source>
        <translation>모델 가져오기</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 모델 (*.gguf);;모든 파일 (*)</translation>
    </message>
</context>
<context>
    <name>RecommendedTab</name>
    <message>
        <source>Korean</source>
        <translation>한국어</translation>
    </message>
    <message>
        <source>Fits this machine</source>
        <translation>이 컴퓨터에 맞음</translation>
    </message>
    <message>
        <source>Commercial use allowed</source>
        <translation>상업적 이용 가능</translation>
    </message>
    <message>
        <source>Show only:</source>
        <translation>다음만 보기:</translation>
    </message>
    <message>
        <source>Model and what it is good at</source>
        <translation>모델과 잘하는 일</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>메모리 적합성</translation>
    </message>
    <message>
        <source>Languages</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Commercial use</source>
        <translation>상업적 이용</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>다운로드</translation>
    </message>
    <message>
        <source>Models picked for running well on a personal computer, Korean-capable ones first. Sizes marked ~ are estimates; the licence decides whether you may use a model at work.</source>
        <translation>개인 컴퓨터에서 잘 돌아가도록 고른 모델입니다. 한국어를 하는 모델이 먼저 나옵니다. ~ 표시가 붙은 크기는 추정치이며, 업무에 써도 되는지는 라이선스가 정합니다.</translation>
    </message>
    <message>
        <source>You only have the small starter model: it can chat, but it cannot translate into Korean or summarise reliably. Any model below that fits this machine does much better.</source>
        <translation>지금은 작은 기본 모델만 있습니다. 대화는 되지만 한국어 번역이나 요약은 믿을 만하게 하지 못합니다. 아래 모델 중 이 컴퓨터에 맞는 것이라면 훨씬 잘합니다.</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>적합</translation>
    </message>
    <message>
        <source>partly on GPU</source>
        <translation>일부만 GPU</translation>
    </message>
    <message>
        <source>too large</source>
        <translation>너무 큼</translation>
    </message>
    <message>
        <source>allowed</source>
        <translation>가능</translation>
    </message>
    <message>
        <source>with conditions</source>
        <translation>조건부 가능</translation>
    </message>
    <message>
        <source>not allowed</source>
        <translation>불가</translation>
    </message>
    <message>
        <source>Needs about %1 at %2 tokens of context; %3 free.</source>
        <translation>컨텍스트 %2 토큰에 약 %1 필요, 여유 메모리 %3.</translation>
    </message>
    <message>
        <source>Needs about %1 at %2 tokens of context; part runs from RAM, more slowly (%3 free).</source>
        <translation>컨텍스트 %2 토큰에 약 %1 필요. 일부는 RAM에서 돌아 느려집니다(여유 %3).</translation>
    </message>
    <message>
        <source>Needs about %1 at %2 tokens of context but only %3 is free: a smaller model or a shorter context may fit.</source>
        <translation>컨텍스트 %2 토큰에 약 %1 필요하지만 여유 메모리는 %3뿐입니다. 더 작은 모델이나 더 짧은 컨텍스트라면 맞을 수 있습니다.</translation>
    </message>
    <message>
        <source>No model matches these filters.</source>
        <translation>이 조건에 맞는 모델이 없습니다.</translation>
    </message>
    <message>
        <source>Select a model to see its licence and files.</source>
        <translation>모델을 선택하면 라이선스와 파일이 표시됩니다.</translation>
    </message>
    <message>
        <source> (embeddings, not for chat)</source>
        <translation> (임베딩 모델, 대화용 아님)</translation>
    </message>
    <message>
        <source>Licence: %1 — %2</source>
        <translation>라이선스: %1 — %2</translation>
    </message>
    <message>
        <source>File: %1 (%2) from %3</source>
        <translation>파일: %1 (%2), 저장소 %3</translation>
    </message>
    <message>
        <source>Sizes are estimates: the hub&apos;s listing gives the exact one.</source>
        <translation>크기는 추정치입니다. 정확한 크기는 허브의 파일 목록에 나옵니다.</translation>
    </message>
    <message>
        <source>Hub features are unavailable. %1</source>
        <translation>허브 기능을 사용할 수 없습니다. %1</translation>
    </message>
    <message>
        <source>Looking up %1 on the hub…</source>
        <translation>허브에서 %1을(를) 찾는 중…</translation>
    </message>
    <message>
        <source>Downloading %1: progress, pause and resume are in the Download tab.</source>
        <translation>%1 다운로드 중: 진행 상황, 일시 중지, 이어받기는 다운로드 탭에 있습니다.</translation>
    </message>
</context>
<context>
    <name>ReloadBar</name>
    <message>
        <source>Reload now</source>
        <translation>지금 다시 불러오기</translation>
    </message>
    <message>
        <source>Load the model again with these settings</source>
        <translation>이 설정으로 모델을 다시 불러옵니다</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>되돌리기</translation>
    </message>
    <message>
        <source>Go back to the settings the model runs with now</source>
        <translation>모델이 지금 쓰고 있는 설정으로 되돌립니다</translation>
    </message>
</context>
<context>
    <name>ReplySaver</name>
    <message>
        <source>The reply could not be saved</source>
        <translation>답변을 저장할 수 없습니다</translation>
    </message>
    <message>
        <source>%1. It stays on screen, and ParrotChat saves it as soon as it can (Retry tries now).</source>
        <translation>%1. 답변은 화면에 그대로 있으며, 저장할 수 있게 되는 즉시 저장합니다(다시 시도를 누르면 지금 저장합니다).</translation>
    </message>
</context>
<context>
    <name>RuntimeMessages</name>
    <message>
        <source>The engine process was killed (SIGKILL; the system may have run out of memory).</source>
        <translation>엔진 프로세스가 강제로 종료되었습니다(SIGKILL, 메모리가 부족했을 수 있습니다).</translation>
    </message>
    <message>
        <source>The engine process aborted (llama.cpp stopped on an internal check).</source>
        <translation>엔진 프로세스가 중단되었습니다(llama.cpp 내부 검사에서 멈춤).</translation>
    </message>
    <message>
        <source>The engine process crashed (segmentation fault).</source>
        <translation>엔진 프로세스가 비정상 종료되었습니다(세그멘테이션 오류).</translation>
    </message>
    <message>
        <source>The engine process was stopped by signal %1.</source>
        <translation>엔진 프로세스가 신호 %1(으)로 멈췄습니다.</translation>
    </message>
    <message>
        <source>The engine process exited with code %1.</source>
        <translation>엔진 프로세스가 코드 %1(으)로 끝났습니다.</translation>
    </message>
    <message>
        <source>The engine process stopped answering.</source>
        <translation>엔진 프로세스가 응답하지 않습니다.</translation>
    </message>
    <message>
        <source>The engine could not be restarted: </source>
        <translation>엔진을 다시 시작할 수 없습니다: </translation>
    </message>
    <message>
        <source>%1: the connection was stopped.</source>
        <translation>%1: 연결이 끊겼습니다.</translation>
    </message>
    <message>
        <source>Model %1 could not be loaded: </source>
        <translation>모델 %1을(를) 불러올 수 없습니다: </translation>
    </message>
    <message>
        <source>Draft model %1 was not loaded: </source>
        <translation>초안 모델 %1을(를) 불러오지 않았습니다: </translation>
    </message>
    <message>
        <source>%1 has a different vocabulary: %2 tokens, the chat model has %3</source>
        <translation>%1의 어휘가 다릅니다: 토큰 %2개, 대화 모델은 %3개</translation>
    </message>
    <message>
        <source>%1 has a different vocabulary: token %2 differs (%3)</source>
        <translation>%1의 어휘가 다릅니다: 토큰 %2이(가) 다릅니다 (%3)</translation>
    </message>
    <message>
        <source>%1 has a different tokenizer: %2, the chat model has %3</source>
        <translation>%1의 토크나이저가 다릅니다: %2, 대화 모델은 %3</translation>
    </message>
    <message>
        <source>Model %1 is too large for this machine: </source>
        <translation>모델 %1은(는) 이 컴퓨터에 너무 큽니다: </translation>
    </message>
    <message>
        <source>Model file %1 was not found.</source>
        <translation>모델 파일 %1을(를) 찾을 수 없습니다.</translation>
    </message>
    <message>
        <source>The GPU could not be used (%1); running on the CPU</source>
        <translation>GPU를 사용할 수 없어 CPU에서 실행합니다(%1)</translation>
    </message>
    <message>
        <source>No model is loaded</source>
        <translation>불러온 모델이 없습니다</translation>
    </message>
    <message>
        <source>%1: not a GGUF file; ParrotChat runs .gguf model files.</source>
        <translation>%1: GGUF 파일이 아닙니다. ParrotChat은 .gguf 모델 파일을 실행합니다.</translation>
    </message>
    <message>
        <source>%1: not a GGUF model file (it is another kind of file).</source>
        <translation>%1: GGUF 모델 파일이 아닙니다(다른 종류의 파일입니다).</translation>
    </message>
    <message>
        <source>%1: the file is damaged or incomplete; download it again.</source>
        <translation>%1: 파일이 손상되었거나 다 받아지지 않았습니다. 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>%1: written in a newer format than this version reads; update ParrotChat.</source>
        <translation>%1: 이 버전이 읽지 못하는 새 형식입니다. ParrotChat을 업데이트하세요.</translation>
    </message>
    <message>
        <source>%1: a GGUF file made for a different kind of computer.</source>
        <translation>%1: 다른 종류의 컴퓨터용으로 만든 GGUF 파일입니다.</translation>
    </message>
    <message>
        <source>%1: part of a split model whose first part (%2) is missing.</source>
        <translation>%1: 나뉜 모델의 일부인데 첫 부분(%2)이 없습니다.</translation>
    </message>
    <message>
        <source>Hub search is off: ParrotChat is in offline mode. To go online, untick “Offline” under Network at the bottom of the Download tab (Models window).</source>
        <translation>허브 검색이 꺼져 있습니다. ParrotChat이 오프라인 모드입니다. 온라인으로 바꾸려면 모델 창의 다운로드 탭 아래쪽 네트워크에서 “오프라인”의 체크를 해제하세요.</translation>
    </message>
    <message>
        <source>Hub search is off: %1 is set in the environment.</source>
        <translation>허브 검색이 꺼져 있습니다. 환경 변수 %1이(가) 설정되어 있습니다.</translation>
    </message>
    <message>
        <source>Unknown setting “%1” ignored.</source>
        <translation>알 수 없는 설정 “%1”은(는) 무시했습니다.</translation>
    </message>
    <message>
        <source>Setting “%1” had a value that cannot be used; using the default %2.</source>
        <translation>설정 “%1”의 값을 쓸 수 없어 기본값 %2을(를) 사용합니다.</translation>
    </message>
    <message>
        <source>The settings file %1 is damaged; the default settings are used (the old file is kept as %2).</source>
        <translation>설정 파일 %1이(가) 손상되어 기본 설정을 사용합니다(이전 파일은 %2(으)로 보관했습니다).</translation>
    </message>
    <message>
        <source>The settings file %1 was written by a newer ParrotChat (settings version %2; this one knows %3): the default settings are used and the file is left as it is.</source>
        <translation>설정 파일 %1은(는) 더 새로운 ParrotChat이 저장한 것입니다(설정 버전 %2, 이 버전은 %3까지 앎). 기본 설정을 사용하고 파일은 그대로 둡니다.</translation>
    </message>
    <message>
        <source>This chat needs %1 tokens but the context holds %2 (%3 kept free for the reply). Start a new chat, raise the context length, or let ParrotChat drop the oldest turns.</source>
        <translation>이 대화에는 토큰 %1개가 필요하지만 컨텍스트에는 %2개만 들어갑니다(답변용으로 %3개를 비워 둠). 새 대화를 시작하거나, 컨텍스트 길이를 늘리거나, 가장 오래된 대화를 빼도록 설정하세요.</translation>
    </message>
    <message>
        <source>The message is %1 tokens long with the system prompt, more than the context length of %2. Shorten it or raise the context length.</source>
        <translation>메시지가 시스템 프롬프트를 포함해 토큰 %1개로, 컨텍스트 길이 %2보다 깁니다. 메시지를 줄이거나 컨텍스트 길이를 늘리세요.</translation>
    </message>
    <message>
        <source>The prompt is %1 tokens long; the context holds %2 with at least one token for the reply.</source>
        <translation>프롬프트가 토큰 %1개입니다. 컨텍스트에는 답변용 토큰 1개 이상을 포함해 %2개가 들어갑니다.</translation>
    </message>
    <message>
        <source>(details in English: point here to read them)</source>
        <translation>(자세한 내용은 영어로만 있습니다. 마우스를 올려 보세요)</translation>
    </message>
</context>
<context>
    <name>SearchResults</name>
    <message>
        <source>in another version</source>
        <translation>다른 버전에 있음</translation>
    </message>
    <message>
        <source>Nothing found for “%1”</source>
        <translation>“%1”에 대한 검색 결과가 없습니다</translation>
    </message>
</context>
<context>
    <name>ServePanel</name>
    <message>
        <source>Key:</source>
        <translation>키:</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>보기</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>복사</translation>
    </message>
    <message>
        <source>Serving at %1</source>
        <translation>%1 에서 서비스 중</translation>
    </message>
    <message>
        <source>%1 answered, %2 in progress</source>
        <translation>%1개 응답함, %2개 진행 중</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>숨기기</translation>
    </message>
</context>
<context>
    <name>ServersTab</name>
    <message>
        <source>gpu-box</source>
        <translation>gpu-box</translation>
    </message>
    <message>
        <source>http://gpu-box:8080</source>
        <translation>http://gpu-box:8080</translation>
    </message>
    <message>
        <source>empty if the server asks for none</source>
        <translation>서버가 요구하지 않으면 비워 두세요</translation>
    </message>
    <message>
        <source>your organisation&apos;s CA, a PEM file (optional)</source>
        <translation>조직의 인증 기관(CA), PEM 파일 (선택)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>찾아보기…</translation>
    </message>
    <message>
        <source>system proxy; &apos;none&apos; to connect directly</source>
        <translation>시스템 프록시; 직접 연결하려면 &apos;none&apos;</translation>
    </message>
    <message>
        <source>Add server</source>
        <translation>서버 추가</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>연결 테스트</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>제거</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>이름:</translation>
    </message>
    <message>
        <source>URL:</source>
        <translation>URL:</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API 키:</translation>
    </message>
    <message>
        <source>CA bundle:</source>
        <translation>CA 번들:</translation>
    </message>
    <message>
        <source>Proxy:</source>
        <translation>프록시:</translation>
    </message>
    <message>
        <source>Saved servers (OpenAI-compatible: llama-server, vLLM, Ollama):</source>
        <translation>저장된 서버 (OpenAI 호환: llama-server, vLLM, Ollama):</translation>
    </message>
    <message>
        <source>key in the system credential store</source>
        <translation>키는 시스템 자격 증명 저장소에 있음</translation>
    </message>
    <message>
        <source>key in %1 (readable by you only)</source>
        <translation>키는 %1에 있음 (본인만 읽기 가능)</translation>
    </message>
    <message>
        <source>no API key</source>
        <translation>API 키 없음</translation>
    </message>
    <message>
        <source>API keys are kept in the system credential store (%1).</source>
        <translation>API 키는 시스템 자격 증명 저장소(%1)에 보관됩니다.</translation>
    </message>
    <message>
        <source>No system credential store is usable here: API keys are kept in %1, readable by you only.</source>
        <translation>이 컴퓨터에는 사용할 수 있는 시스템 자격 증명 저장소가 없습니다. API 키는 본인만 읽을 수 있는 %1에 보관됩니다.</translation>
    </message>
    <message>
        <source>Give the server a short name, such as gpu-box</source>
        <translation>서버에 gpu-box 같은 짧은 이름을 지정하세요</translation>
    </message>
    <message>
        <source>Saved %1; %2.</source>
        <translation>%1 저장됨; %2.</translation>
    </message>
    <message>
        <source>Choose a server in the list to remove it.</source>
        <translation>제거할 서버를 목록에서 선택하세요.</translation>
    </message>
    <message>
        <source>Removed %1 and its key.</source>
        <translation>%1 및 해당 키를 제거했습니다.</translation>
    </message>
    <message>
        <source>Type a URL or choose a saved server to test.</source>
        <translation>테스트할 URL을 입력하거나 저장된 서버를 선택하세요.</translation>
    </message>
    <message>
        <source>Testing %1…</source>
        <translation>%1 테스트 중…</translation>
    </message>
    <message>
        <source>Connection failed: %1</source>
        <translation>연결 실패: %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>없음</translation>
    </message>
    <message>
        <source>Connected to %1 in %2 ms: %3; models: %4</source>
        <translation>%1에 %2 ms 만에 연결됨: %3; 모델: %4</translation>
    </message>
    <message>
        <source>CA bundle</source>
        <translation>CA 번들</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>인증서 (*.pem *.crt *.cer);;모든 파일 (*)</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>단축키</translation>
    </message>
    <message>
        <source>Send the message</source>
        <translation>메시지 보내기</translation>
    </message>
    <message>
        <source>Start a new line in the message</source>
        <translation>메시지에서 줄 바꾸기</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>동작</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>키</translation>
    </message>
</context>
<context>
    <name>SidePanels</name>
    <message>
        <source>The window is too narrow for this panel: make it wider.</source>
        <translation>창이 좁아 이 패널을 표시할 수 없습니다. 창을 넓혀 주세요.</translation>
    </message>
</context>
<context>
    <name>SmallModelNote</name>
    <message>
        <source>This model (%1 parameters) is too small to translate reliably: %2</source>
        <translation>이 모델(매개변수 %1개)은 너무 작아서 번역을 믿을 만하게 하지 못합니다: %2</translation>
    </message>
    <message>
        <source>This model (%1 parameters) is too small to summarise reliably: %2</source>
        <translation>이 모델(매개변수 %1개)은 너무 작아서 요약을 믿을 만하게 하지 못합니다: %2</translation>
    </message>
    <message>
        <source>see the recommended models</source>
        <translation>추천 모델 보기</translation>
    </message>
</context>
<context>
    <name>SourceFitting</name>
    <message>
        <source>The engine is not running</source>
        <translation>엔진이 실행 중이 아닙니다</translation>
    </message>
</context>
<context>
    <name>StatsLine</name>
    <message>
        <source>finished</source>
        <translation>완료</translation>
    </message>
    <message>
        <source>length limit</source>
        <translation>길이 제한</translation>
    </message>
    <message>
        <source>stop string</source>
        <translation>중지 문자열</translation>
    </message>
    <message>
        <source>stopped by you</source>
        <translation>사용자가 멈춤</translation>
    </message>
    <message>
        <source>context full</source>
        <translation>컨텍스트 가득 참</translation>
    </message>
    <message>
        <source>error</source>
        <translation>오류</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <translation>중단됨</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>실패</translation>
    </message>
    <message>
        <source>Cut off: ParrotChat closed before the reply finished</source>
        <translation>끊김: 답변이 끝나기 전에 ParrotChat이 닫혔습니다</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>토큰 %1개</translation>
    </message>
    <message>
        <source>%1 tokens/s</source>
        <translation>초당 %1토큰</translation>
    </message>
    <message>
        <source>first token %1 s</source>
        <translation>첫 토큰 %1초</translation>
    </message>
    <message>
        <source>sources used: %1</source>
        <translation>사용한 출처 %1개</translation>
    </message>
    <message>
        <source>sources left out: %1</source>
        <translation>빠진 출처 %1개</translation>
    </message>
    <message>
        <source>drafted %1, accepted %2</source>
        <translation>초안 %1개, 채택 %2개</translation>
    </message>
    <message>
        <source>%1 oldest messages left out</source>
        <translation>오래된 메시지 %1개 뺌</translation>
    </message>
</context>
<context>
    <name>TemplateBar</name>
    <message>
        <source>Templates</source>
        <translation>템플릿</translation>
    </message>
    <message>
        <source>Translate</source>
        <translation>번역</translation>
    </message>
    <message>
        <source>Translate the text in the message box</source>
        <translation>입력창의 글을 번역합니다</translation>
    </message>
    <message>
        <source>Summarize</source>
        <translation>요약</translation>
    </message>
    <message>
        <source>Summarize the text in the message box</source>
        <translation>입력창의 글을 요약합니다</translation>
    </message>
    <message>
        <source>Preview and fill in…</source>
        <translation>미리 보고 채우기…</translation>
    </message>
    <message>
        <source>New template…</source>
        <translation>새 템플릿…</translation>
    </message>
</context>
<context>
    <name>TemplateDialog</name>
    <message>
        <source>Use a prompt template</source>
        <translation>프롬프트 템플릿 쓰기</translation>
    </message>
    <message>
        <source>Paste the text here</source>
        <translation>여기에 글을 붙여 넣으세요</translation>
    </message>
    <message>
        <source>Template</source>
        <translation>템플릿</translation>
    </message>
    <message>
        <source>Into</source>
        <translation>대상 언어</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>글</translation>
    </message>
    <message>
        <source>What will be sent</source>
        <translation>보낼 내용</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>시스템 프롬프트</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>샘플링</translation>
    </message>
</context>
<context>
    <name>TemplateEditor</name>
    <message>
        <source>New prompt template</source>
        <translation>새 프롬프트 템플릿</translation>
    </message>
    <message>
        <source>a short word, e.g. meeting-notes</source>
        <translation>짧은 이름, 예: 회의록</translation>
    </message>
    <message>
        <source>Write the request; {text} stands for the text in the message box.</source>
        <translation>요청을 쓰세요. {text} 자리에 입력창의 글이 들어갑니다.</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>이름</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>제목</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>시스템 프롬프트</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>프롬프트</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>온도</translation>
    </message>
    <message>
        <source>The prompt needs {text} where your text goes.</source>
        <translation>프롬프트에 글이 들어갈 자리인 {text}가 있어야 합니다.</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>New chat</source>
        <translation>새 대화</translation>
    </message>
    <message>
        <source>Models…</source>
        <translation>모델…</translation>
    </message>
    <message>
        <source>Documents…</source>
        <translation>문서…</translation>
    </message>
    <message>
        <source>Export as Markdown…</source>
        <translation>마크다운으로 내보내기…</translation>
    </message>
    <message>
        <source>Export as JSON…</source>
        <translation>JSON으로 내보내기…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>끝내기</translation>
    </message>
    <message>
        <source>Search chats</source>
        <translation>대화 검색</translation>
    </message>
    <message>
        <source>Write a message</source>
        <translation>메시지 쓰기</translation>
    </message>
    <message>
        <source>Stop the reply</source>
        <translation>답변 멈추기</translation>
    </message>
    <message>
        <source>Regenerate the last reply</source>
        <translation>마지막 답변 다시 만들기</translation>
    </message>
    <message>
        <source>Show chat list</source>
        <translation>대화 목록 보기</translation>
    </message>
    <message>
        <source>Chats</source>
        <translation>대화 목록</translation>
    </message>
    <message>
        <source>Show or hide the list of chats (Ctrl+Shift+L)</source>
        <translation>대화 목록을 보이거나 숨깁니다 (Ctrl+Shift+L)</translation>
    </message>
    <message>
        <source>Show controls</source>
        <translation>설정 패널 보기</translation>
    </message>
    <message>
        <source>Controls</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Show or hide the chat and model settings (Ctrl+Shift+K)</source>
        <translation>대화와 모델 설정을 보이거나 숨깁니다 (Ctrl+Shift+K)</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>단축키</translation>
    </message>
    <message>
        <source>About ParrotChat</source>
        <translation>ParrotChat 정보</translation>
    </message>
    <message>
        <source>Serve on this computer</source>
        <translation>이 컴퓨터에서 서비스</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>시스템 언어</translation>
    </message>
    <message>
        <source>System</source>
        <translation>시스템 설정</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>밝게</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>어둡게</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>파일(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>대화(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>보기(&amp;V)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>테마</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>도움말(&amp;H)</translation>
    </message>
</context>
<context>
    <name>WindowServer</name>
    <message>
        <source>Stopped serving: the window loads another model. Turn it on again.</source>
        <translation>창에서 다른 모델을 불러오므로 서비스를 멈췄습니다. 다시 켜 주세요.</translation>
    </message>
</context>
<context>
    <name>WindowSession</name>
    <message>
        <source>Replies cut off when ParrotChat last closed were kept: %1</source>
        <translation>지난번 ParrotChat이 닫힐 때 끊긴 답변을 보존했습니다: %1개</translation>
    </message>
    <message>
        <source>ParrotChat found problems</source>
        <translation>ParrotChat에서 문제를 발견했습니다</translation>
    </message>
</context>
</TS>
